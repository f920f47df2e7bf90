-- Issue 11: an append-only audit log of every write (who, what, when, before, after), chained by hashes.
--
-- Writing: statement-level triggers (transition tables) on every registry table add one row per changed row, with the
-- row as JSON before and after (geometries as GeoJSON through PostGIS's json cast; document bytes left out, their
-- sha256 is in the row). The actor is the transaction's `urbanmonitor.actor` setting (the service sets it from the
-- token), else the database user. A bulk statement (an import publishing thousands of features) adds one summary row
-- (count, import job) instead of one per feature: the import job and its report are that write's record.
--
-- Chaining: writers never touch a shared row (no lock on the hot path). A sealer (um_audit_seal, run by the service
-- every few seconds and before every read or verify) takes the committed rows not yet sealed, numbers them on
-- (seal_seq) and sets hash = sha256(previous hash || the row's canonical text). um_audit_verify recomputes the chain:
-- an edited row breaks its hash, a deleted row breaks the numbering and the next row's link.
--
-- Append-only: UPDATE and DELETE are refused except the sealer filling the seal of an unsealed row; TRUNCATE is refused.

CREATE TABLE audit_log (
    city_id    integer NOT NULL,          -- 0: not city data (users, cities list)
    id         bigint GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    txid       bigint NOT NULL DEFAULT txid_current(),
    actor      text NOT NULL,
    action     text NOT NULL CHECK (action IN ('insert', 'update', 'delete', 'bulk-insert', 'bulk-update', 'bulk-delete')),
    table_name text NOT NULL,
    row_key    jsonb NOT NULL,
    before     jsonb,
    after      jsonb,
    seal_seq   bigint UNIQUE,
    prev_hash  bytea,
    hash       bytea,
    PRIMARY KEY (city_id, id)
);
CREATE INDEX audit_log_id ON audit_log (id);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seal_seq IS NULL;
CREATE INDEX audit_log_row_key ON audit_log USING gin (row_key jsonb_path_ops);
CREATE INDEX audit_log_table ON audit_log (table_name, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- The canonical text a row's hash covers (jsonb's text form is canonical: keys sorted, no whitespace variance).
CREATE FUNCTION um_audit_text(a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws('|', a.seal_seq, a.city_id, a.id, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                     a.txid, a.actor, a.action, a.table_name, a.row_key::text,
                     coalesce(a.before::text, 'null'), coalesce(a.after::text, 'null'))
$$;

CREATE FUNCTION um_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seal_seq IS NULL AND NEW.seal_seq IS NOT NULL
       AND current_setting('urbanmonitor.sealing', true) = 'on'
       AND (NEW.city_id, NEW.id, NEW.at, NEW.txid, NEW.actor, NEW.action, NEW.table_name, NEW.row_key)
           IS NOT DISTINCT FROM (OLD.city_id, OLD.id, OLD.at, OLD.txid, OLD.actor, OLD.action, OLD.table_name, OLD.row_key)
       AND NEW.before IS NOT DISTINCT FROM OLD.before AND NEW.after IS NOT DISTINCT FROM OLD.after THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION um_audit_guard();
CREATE FUNCTION um_audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION um_audit_no_truncate();

-- A row's key (its key columns as an object) and its city (0 for rows of no city; a cities row is its own city).
CREATE FUNCTION um_audit_key(j jsonb, keys text[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_object_agg(k, j -> k) FROM unnest(keys) k
$$;
CREATE FUNCTION um_audit_city(j jsonb, tbl text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce((j ->> 'city_id')::int, CASE WHEN tbl = 'cities' THEN (j ->> 'id')::int END, 0)
$$;

-- One summary entry for a bulk statement: how many rows, and the import job when the writer named it.
CREATE FUNCTION um_audit_bulk(sample jsonb, actor text, action text, tbl text, n bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO audit_log (city_id, actor, action, table_name, row_key, before, after)
    VALUES (um_audit_city(sample, tbl), actor, action, tbl,
            jsonb_build_object('import_job', nullif(current_setting('urbanmonitor.import_job', true), '')),
            CASE WHEN action = 'bulk-delete' THEN jsonb_build_object('rows', n) END,
            CASE WHEN action <> 'bulk-delete' THEN jsonb_build_object('rows', n) END)
$$;

-- The writer. Trigger arguments: the key columns, then '-' and columns to leave out of before/after.
CREATE FUNCTION um_audit_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keys text[] := '{}';
    omit text[] := '{}';
    in_omit boolean := false;
    actor text := coalesce(nullif(current_setting('urbanmonitor.actor', true), ''), 'db:' || session_user);
    n bigint;
    bulk constant bigint := 5000;
    i int;
BEGIN
    FOR i IN 0 .. TG_NARGS - 1 LOOP
        IF TG_ARGV[i] = '-' THEN in_omit := true;
        ELSIF in_omit THEN omit := omit || TG_ARGV[i];
        ELSE keys := keys || TG_ARGV[i];
        END IF;
    END LOOP;

    IF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO n FROM new_rows;
        IF n > bulk THEN
            PERFORM um_audit_bulk((SELECT to_jsonb(r) FROM new_rows r LIMIT 1), actor, 'bulk-insert', TG_TABLE_NAME, n);
            RETURN NULL;
        END IF;
        INSERT INTO audit_log (city_id, actor, action, table_name, row_key, after)
        SELECT um_audit_city(j, TG_TABLE_NAME), actor, 'insert', TG_TABLE_NAME, um_audit_key(j, keys), j
        FROM (SELECT to_jsonb(r) - omit AS j FROM new_rows r) x;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT count(*) INTO n FROM new_rows;
        IF n > bulk THEN
            PERFORM um_audit_bulk((SELECT to_jsonb(r) FROM new_rows r LIMIT 1), actor, 'bulk-update', TG_TABLE_NAME, n);
            RETURN NULL;
        END IF;
        INSERT INTO audit_log (city_id, actor, action, table_name, row_key, before, after)
        SELECT um_audit_city(coalesce(n.j, o.j), TG_TABLE_NAME), actor, 'update', TG_TABLE_NAME, coalesce(n.key, o.key), o.j, n.j
        FROM (SELECT j, um_audit_key(j, keys) AS key FROM (SELECT to_jsonb(r) - omit AS j FROM old_rows r) a) o
        FULL JOIN (SELECT j, um_audit_key(j, keys) AS key FROM (SELECT to_jsonb(r) - omit AS j FROM new_rows r) b) n ON n.key = o.key
        WHERE o.j IS DISTINCT FROM n.j;
    ELSE
        SELECT count(*) INTO n FROM old_rows;
        IF n > bulk THEN
            PERFORM um_audit_bulk((SELECT to_jsonb(r) FROM old_rows r LIMIT 1), actor, 'bulk-delete', TG_TABLE_NAME, n);
            RETURN NULL;
        END IF;
        INSERT INTO audit_log (city_id, actor, action, table_name, row_key, before)
        SELECT um_audit_city(j, TG_TABLE_NAME), actor, 'delete', TG_TABLE_NAME, um_audit_key(j, keys), j
        FROM (SELECT to_jsonb(r) - omit AS j FROM old_rows r) x;
    END IF;
    RETURN NULL;
END;
$$;

-- Attaches the three statement-level audit triggers to a table.
CREATE FUNCTION um_audit_attach(tbl regclass, args text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER audit_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION um_audit_rows(%s)', tbl, args);
    EXECUTE format('CREATE TRIGGER audit_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION um_audit_rows(%s)', tbl, args);
    EXECUTE format('CREATE TRIGGER audit_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION um_audit_rows(%s)', tbl, args);
END;
$$;

SELECT um_audit_attach('cities', '''id''');
SELECT um_audit_attach('city_population', '''city_id'', ''year''');
SELECT um_audit_attach('districts', '''city_id'', ''id''');
SELECT um_audit_attach('settlements', '''city_id'', ''id''');
SELECT um_audit_attach('properties', '''city_id'', ''id''');
SELECT um_audit_attach('property_versions', '''city_id'', ''property_id'', ''version''');
SELECT um_audit_attach('parties', '''city_id'', ''id''');
SELECT um_audit_attach('rights', '''city_id'', ''id''');
SELECT um_audit_attach('property_lineage', '''city_id'', ''parent_id'', ''child_id''');
SELECT um_audit_attach('documents', '''city_id'', ''id'', ''-'', ''content''');
SELECT um_audit_attach('transactions', '''city_id'', ''id''');
SELECT um_audit_attach('display_periods', '''city_id'', ''id''');
SELECT um_audit_attach('display_claims', '''city_id'', ''display_id'', ''property_id''');
SELECT um_audit_attach('disputes', '''city_id'', ''id''');
SELECT um_audit_attach('property_addresses', '''city_id'', ''property_id''');
SELECT um_audit_attach('users', '''id''');
SELECT um_audit_attach('user_districts', '''user_id'', ''city_id'', ''district_code''');

-- Seals the committed rows not sealed yet, in id order, continuing the chain. Returns how many it sealed.
-- One sealer at a time (advisory lock); rows of transactions still running are sealed by a later call.
CREATE FUNCTION um_audit_seal(max_rows integer DEFAULT 100000) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash bytea;
    r audit_log;
    sealed bigint := 0;
BEGIN
    IF NOT pg_try_advisory_xact_lock(40611) THEN RETURN 0; END IF;
    PERFORM set_config('urbanmonitor.sealing', 'on', true);
    SELECT seal_seq, hash INTO last_seq, last_hash FROM audit_log WHERE seal_seq IS NOT NULL ORDER BY seal_seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0);
    last_hash := coalesce(last_hash, '\x'::bytea);
    FOR r IN SELECT * FROM audit_log WHERE seal_seq IS NULL ORDER BY id LIMIT max_rows LOOP
        last_seq := last_seq + 1;
        r.seal_seq := last_seq;
        r.prev_hash := last_hash;
        last_hash := sha256(last_hash || convert_to(um_audit_text(r), 'UTF8'));
        UPDATE audit_log SET seal_seq = last_seq, prev_hash = r.prev_hash, hash = last_hash
        WHERE city_id = r.city_id AND id = r.id;
        sealed := sealed + 1;
    END LOOP;
    PERFORM set_config('urbanmonitor.sealing', 'off', true);
    RETURN sealed;
END;
$$;

-- Recomputes the chain. One row per problem found (none: the log is intact).
CREATE FUNCTION um_audit_verify()
RETURNS TABLE (seal_seq bigint, audit_id bigint, problem text) LANGUAGE sql STABLE AS $$
    WITH chain AS (
        SELECT a.seal_seq, a.id, a.prev_hash, a.hash,
               lag(a.hash) OVER (ORDER BY a.seal_seq) AS expected_prev,
               lag(a.seal_seq) OVER (ORDER BY a.seal_seq) AS prev_seq,
               sha256(a.prev_hash || convert_to(um_audit_text(a), 'UTF8')) AS recomputed
        FROM audit_log a WHERE a.seal_seq IS NOT NULL)
    SELECT c.seal_seq, c.id,
           CASE WHEN c.recomputed IS DISTINCT FROM c.hash THEN 'the row was changed after it was sealed (its hash does not match its content)'
                WHEN coalesce(c.prev_seq, 0) <> c.seal_seq - 1 THEN format('sealed rows %s to %s are missing (deleted)', coalesce(c.prev_seq, 0) + 1, c.seal_seq - 1)
                ELSE 'the link to the previous row is broken (a row before it was changed or removed)' END
    FROM chain c
    WHERE c.recomputed IS DISTINCT FROM c.hash
       OR coalesce(c.prev_seq, 0) <> c.seal_seq - 1
       OR c.prev_hash IS DISTINCT FROM coalesce(c.expected_prev, '\x'::bytea)
    ORDER BY c.seal_seq
$$;
