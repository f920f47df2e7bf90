-- Concurrent registrations (issue 4) commit side by side: the service announces their edits after the commit, many
-- at once, instead of each transaction bumping the layer version and notifying inside its own commit.
--
-- Why: a transaction that NOTIFYs holds PostgreSQL's notify lock from just before its commit until the commit has
-- been flushed to disk, and the deferred layer_versions bump (0060) holds that layer's row just as long. So every
-- registration committed alone, one WAL flush after the other (2-3 ms each here): on the 1M-parcel city 8 concurrent
-- registrations waited 9-17 ms each at commit, and removing both raised throughput by about half.
--
-- How: a transaction may set urbanmonitor.announce = 'after-commit' (the service's registration does, see
-- TileVersionFlusher). Its tile changes then stay queued in tiles_pending past the commit, and its dirty-district
-- marks are not notified. After the commit the service runs um_announce_pending(), which bumps each queued layer's
-- version once and sends one tiles_changed per layer (and one indicators_dirty) for everything committed meanwhile,
-- in one short transaction; registrations that commit together share it. The service answers a registration only
-- after that, so a client that reads TileJSON after its 201 sees the new version. Every other writer (the CLI,
-- imports, edits) announces at its own commit as before. tiles_pending becomes a logged table: a queued change
-- survives a crash and is announced by the service's next sweep (at start and every few seconds).
ALTER TABLE tiles_pending SET LOGGED;

-- pg_notify, unless the transaction leaves its announcements to um_announce_pending.
CREATE FUNCTION um_announce(channel text, payload text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('urbanmonitor.announce', true) IS DISTINCT FROM 'after-commit' THEN
        PERFORM pg_notify(channel, payload);
    END IF;
END
$$;

-- One layer's announcement: its version bumped and tiles_changed sent with the changed boxes.
CREATE FUNCTION um_layer_announce(p_layer text, p_everything boolean, p_old jsonb, p_new jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
BEGIN
    INSERT INTO layer_versions AS lv (layer, version) VALUES (p_layer, 2)
    ON CONFLICT ON CONSTRAINT layer_versions_pkey DO UPDATE SET version = lv.version + 1
    RETURNING lv.version INTO v;
    PERFORM pg_notify('tiles_changed', jsonb_build_object(
        'layer', p_layer, 'version', v, 'all', p_everything, 'old', p_old, 'new', p_new)::text);
END
$$;

-- The commit-time trigger of 0060, unless the transaction leaves its changes queued for um_announce_pending.
CREATE OR REPLACE FUNCTION tiles_pending_flush() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('urbanmonitor.announce', true) = 'after-commit' THEN
        RETURN NULL;
    END IF;
    PERFORM um_layer_announce(NEW.layer, NEW.everything, NEW.old_boxes, NEW.new_boxes);
    DELETE FROM tiles_pending WHERE id = NEW.id;
    RETURN NULL;
END
$$;

-- The dirty-district triggers of properties and rights (0055) notify through um_announce.
CREATE OR REPLACE FUNCTION indicators_mark_properties() RETURNS trigger LANGUAGE plpgsql
SET jit = off SET max_parallel_workers_per_gather = 0 AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO indicator_dirty (city_id, district_code, layer)
        SELECT DISTINCT city_id, district_code, 'properties' FROM new_rows;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO indicator_dirty (city_id, district_code, layer)
        SELECT DISTINCT city_id, district_code, 'properties' FROM old_rows;
    END IF;
    PERFORM um_announce('indicators_dirty', 'properties');
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION indicators_mark_rights() RETURNS trigger LANGUAGE plpgsql
SET jit = off SET max_parallel_workers_per_gather = 0 AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO indicator_dirty (city_id, district_code, layer)
        SELECT DISTINCT p.city_id, p.district_code, 'properties' FROM new_rows r
        JOIN properties p ON p.city_id = r.city_id AND p.id = r.property_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO indicator_dirty (city_id, district_code, layer)
        SELECT DISTINCT p.city_id, p.district_code, 'properties' FROM old_rows r
        JOIN properties p ON p.city_id = r.city_id AND p.id = r.property_id;
    END IF;
    PERFORM um_announce('indicators_dirty', 'rights');
    RETURN NULL;
END
$$;

-- Announces every change queued by committed transactions: per layer one version bump and one tiles_changed with
-- all their boxes (their extent when there are more than 32, to keep the payload small), then one indicators_dirty
-- when districts wait for the indicator updater. Concurrent callers take disjoint rows. Returns the layers announced.
-- Run it in a transaction of its own: that transaction commits without waiting for its WAL flush. It needs no
-- durability: the changes it announces are already durable, and if a crash loses the announcement, its queued rows
-- are back and the service's next sweep announces them again (a version lost with it is bumped again).
CREATE FUNCTION um_announce_pending() RETURNS integer LANGUAGE plpgsql
SET jit = off SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    FOR r IN
        WITH taken AS (
            DELETE FROM tiles_pending WHERE id IN (SELECT id FROM tiles_pending FOR UPDATE SKIP LOCKED)
            RETURNING layer, old_boxes, new_boxes, everything
        ), boxes AS (
            SELECT t.layer, 'old' AS side, b FROM taken t, jsonb_array_elements(t.old_boxes) b
            UNION ALL
            SELECT t.layer, 'new', b FROM taken t, jsonb_array_elements(t.new_boxes) b
        )
        SELECT l.layer, l.everything,
               coalesce((SELECT jsonb_agg(b) FROM boxes x WHERE x.layer = l.layer AND x.side = 'old'), '[]') AS old_boxes,
               coalesce((SELECT jsonb_agg(b) FROM boxes x WHERE x.layer = l.layer AND x.side = 'new'), '[]') AS new_boxes,
               (SELECT count(*) FROM boxes x WHERE x.layer = l.layer) AS boxes,
               (SELECT jsonb_build_array(jsonb_build_array(min((b ->> 0)::float8), min((b ->> 1)::float8),
                                                           max((b ->> 2)::float8), max((b ->> 3)::float8)))
                FROM boxes x WHERE x.layer = l.layer) AS extent
        FROM (SELECT layer, bool_or(everything) AS everything FROM taken GROUP BY layer) l
    LOOP
        PERFORM um_layer_announce(r.layer, r.everything,
                                  CASE WHEN r.boxes > 32 THEN '[]'::jsonb ELSE r.old_boxes END,
                                  CASE WHEN r.boxes > 32 THEN r.extent ELSE r.new_boxes END);
        n := n + 1;
    END LOOP;
    IF EXISTS (SELECT 1 FROM indicator_dirty) THEN
        PERFORM pg_notify('indicators_dirty', 'registrations');
    END IF;
    RETURN n;
END
$$;
