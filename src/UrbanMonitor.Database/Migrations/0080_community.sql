-- Community-led upgrading (issue 13, the People's Process): Community Development Councils (CDCs) grouped into Gozar
-- assemblies, their members (personal data: staff only), ranked action plans, projects under community contracts with
-- their disbursements, status history and social audits, and the city's or district's strategic action plan.
--
-- Nothing is physically deleted: a council is dissolved, a member leaves (left_on), a project keeps every status it had
-- (community_project_status_changes). Every table is in the audit log (0070). The rules that money and history depend on
-- are enforced here, not only in the API: disbursements never exceed the contract; a project's status never goes
-- backwards without a recorded reason.

-- The fixed list of needs a council ranks and a project addresses.
CREATE FUNCTION community_needs() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY['water', 'drainage', 'roads', 'lighting', 'open-space', 'health', 'security']
$$;

-- True when every element is a known need and none repeats (a ranking names each need once). Used by a CHECK, so
-- schema-qualified: pg_restore runs with an empty search_path (0071).
CREATE FUNCTION community_needs_ok(needs text[]) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT cardinality(needs) > 0 AND needs <@ public.community_needs()
           AND cardinality(needs) = (SELECT count(DISTINCT n) FROM unnest(needs) n)
$$;

-- Project statuses in order; going to a lower one needs a reason.
CREATE FUNCTION community_status_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_position(ARRAY['planned', 'contracted', 'in-progress', 'completed', 'maintained'], status)
$$;

-- The composition rules a council's current members break (null when none): 'no-woman', 'no-displaced'.
CREATE FUNCTION community_composition_violations(women integer, displaced integer) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT nullif(array_remove(ARRAY[CASE WHEN women < 1 THEN 'no-woman' END, CASE WHEN displaced < 1 THEN 'no-displaced' END], NULL), '{}')
$$;

-- Gozar assemblies: a group of CDCs. The boundary is the union of its councils unless one is drawn (geom).
CREATE TABLE community_gozars (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    code        text NOT NULL CHECK (code <> ''),
    name        text NOT NULL CHECK (name <> ''),
    geom        geometry(MultiPolygon, 4326),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id),
    UNIQUE (city_id, code),
    UNIQUE (id)
);
CREATE INDEX community_gozars_geom_gist ON community_gozars USING gist (geom);

-- The public layer `councils`: no member names here; the composition counts are maintained from council_members.
CREATE TABLE councils (
    city_id          integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    code             text NOT NULL CHECK (code <> ''),
    name             text NOT NULL CHECK (name <> ''),
    district_code    text,
    gozar_id         bigint,
    elected_on       date,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'dissolved')),
    households       bigint CHECK (households >= 0),
    members          integer NOT NULL DEFAULT 0,
    women            integer NOT NULL DEFAULT 0,
    displaced        integer NOT NULL DEFAULT 0,
    -- 'ok', or the rules broken: every council includes at least one woman and one representative of displaced people.
    attributes       jsonb NOT NULL DEFAULT '{}',   -- the source's other attributes when imported
    composition      text GENERATED ALWAYS AS (CASE WHEN women >= 1 AND displaced >= 1 THEN 'ok'
                                                WHEN women >= 1 THEN 'no-displaced' WHEN displaced >= 1 THEN 'no-woman'
                                                ELSE 'no-woman,no-displaced' END) STORED,
    geom             geometry(MultiPolygon, 4326) NOT NULL,
    geom3857         geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id),
    UNIQUE (city_id, code),
    UNIQUE (id),
    FOREIGN KEY (city_id, gozar_id) REFERENCES community_gozars (city_id, id)
);
CREATE INDEX councils_geom_gist ON councils USING gist (geom);
CREATE INDEX councils_geom3857_gist ON councils USING gist (geom3857);

-- Personal data: never in a public view, tile or feed.
CREATE TABLE council_members (
    city_id     integer NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    council_id  bigint NOT NULL,
    name        text NOT NULL CHECK (name <> ''),
    sex         text NOT NULL CHECK (sex IN ('female', 'male')),
    displaced   boolean NOT NULL DEFAULT false,
    role        text NOT NULL DEFAULT 'member' CHECK (role IN ('chair', 'deputy', 'secretary', 'treasurer', 'member')),
    joined_on   date,
    left_on     date,
    PRIMARY KEY (city_id, id),
    UNIQUE (id),
    FOREIGN KEY (city_id, council_id) REFERENCES councils (city_id, id),
    CHECK (left_on IS NULL OR joined_on IS NULL OR left_on >= joined_on)
);
CREATE INDEX council_members_council ON council_members (city_id, council_id);

-- Keeps each council's counts of current members (not left) in step with council_members.
CREATE FUNCTION community_member_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE councils c SET members = x.members, women = x.women, displaced = x.displaced, updated_at = now()
    FROM (SELECT k.city_id, k.council_id,
                 count(m.id) FILTER (WHERE m.left_on IS NULL) AS members,
                 count(m.id) FILTER (WHERE m.left_on IS NULL AND m.sex = 'female') AS women,
                 count(m.id) FILTER (WHERE m.left_on IS NULL AND m.displaced) AS displaced
          FROM (SELECT DISTINCT city_id, council_id FROM new_rows) k
          LEFT JOIN council_members m ON m.city_id = k.city_id AND m.council_id = k.council_id
          GROUP BY k.city_id, k.council_id) x
    WHERE c.city_id = x.city_id AND c.id = x.council_id
      AND (c.members, c.women, c.displaced) IS DISTINCT FROM (x.members::int, x.women::int, x.displaced::int);
    RETURN NULL;
END
$$;
CREATE TRIGGER council_members_counts_insert AFTER INSERT ON council_members REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION community_member_counts();
CREATE TRIGGER council_members_counts_update AFTER UPDATE ON council_members REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION community_member_counts();

-- A council's action plan: the needs it ranked, first = most pressing. A new plan supersedes the earlier ones.
CREATE TABLE community_action_plans (
    city_id     integer NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    council_id  bigint NOT NULL,
    adopted_on  date NOT NULL,
    needs       text[] NOT NULL CHECK (community_needs_ok(needs)),
    notes       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id),
    UNIQUE (id),
    FOREIGN KEY (city_id, council_id) REFERENCES councils (city_id, id)
);
CREATE INDEX community_action_plans_council ON community_action_plans (city_id, council_id, adopted_on);

-- The public layer `projects`: a point, line or polygon; executed by the council or by a third party under its
-- supervision; the block grant is the contract amount (in the city's currency).
CREATE TABLE projects (
    city_id            integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id                 bigint GENERATED ALWAYS AS IDENTITY,
    code               text NOT NULL CHECK (code <> ''),
    council_id         bigint NOT NULL,
    name               text NOT NULL CHECK (name <> ''),
    type               text NOT NULL CHECK (type = ANY (community_needs())),
    executing_party    text NOT NULL DEFAULT 'council' CHECK (executing_party IN ('council', 'third-party')),
    contractor         text,
    contract_amount    numeric(16, 2) NOT NULL CHECK (contract_amount >= 0),
    disbursed          numeric(16, 2) NOT NULL DEFAULT 0,
    status             text NOT NULL DEFAULT 'planned' CHECK (community_status_rank(status) IS NOT NULL),
    status_reason      text,
    beneficiaries      integer CHECK (beneficiaries >= 0),
    person_days        integer NOT NULL DEFAULT 0 CHECK (person_days >= 0),
    women_person_days  integer NOT NULL DEFAULT 0 CHECK (women_person_days >= 0),
    geom               geometry(Geometry, 4326) NOT NULL
                       CHECK (GeometryType(geom) IN ('POINT', 'MULTIPOINT', 'LINESTRING', 'MULTILINESTRING', 'POLYGON', 'MULTIPOLYGON')),
    geom3857           geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id),
    UNIQUE (city_id, code),
    UNIQUE (id),
    FOREIGN KEY (city_id, council_id) REFERENCES councils (city_id, id),
    CHECK (women_person_days <= person_days),
    CHECK (executing_party = 'council' OR contractor IS NOT NULL),
    CONSTRAINT projects_disbursed_within_contract CHECK (disbursed <= contract_amount)
);
CREATE INDEX projects_geom_gist ON projects USING gist (geom);
CREATE INDEX projects_geom3857_gist ON projects USING gist (geom3857);
CREATE INDEX projects_council ON projects (city_id, council_id);

-- Every status a project had, with who moved it and why.
CREATE TABLE community_project_status_changes (
    city_id      integer NOT NULL,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    project_id   bigint NOT NULL,
    from_status  text,
    to_status    text NOT NULL,
    reason       text,
    actor        text NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (city_id, id),
    FOREIGN KEY (city_id, project_id) REFERENCES projects (city_id, id)
);

-- Status moves forward freely; backwards (e.g. completed → in-progress after a failed inspection) only with a reason,
-- given in the same UPDATE as status_reason. SQLSTATE UMC01 tells the API to answer 422.
CREATE FUNCTION community_project_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
        NEW.status_reason := OLD.status_reason;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND community_status_rank(NEW.status) < community_status_rank(OLD.status)
       AND coalesce(btrim(NEW.status_reason), '') = '' THEN
        RAISE EXCEPTION 'project % cannot go back from % to % without a reason', OLD.code, OLD.status, NEW.status
            USING ERRCODE = 'UMC01';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER projects_status BEFORE INSERT OR UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION community_project_status();

CREATE FUNCTION community_project_status_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO community_project_status_changes (city_id, project_id, from_status, to_status, reason, actor)
    VALUES (NEW.city_id, NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status, NEW.status_reason,
            coalesce(nullif(current_setting('urbanmonitor.actor', true), ''), 'db:' || session_user));
    RETURN NULL;
END
$$;
CREATE TRIGGER projects_status_insert AFTER INSERT ON projects FOR EACH ROW EXECUTE FUNCTION community_project_status_record();
CREATE TRIGGER projects_status_update AFTER UPDATE OF status ON projects FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION community_project_status_record();

-- Payments against a community contract. projects.disbursed is their sum, kept by the trigger below, and the CHECK
-- projects_disbursed_within_contract refuses any write that would take it over the contract (also a contract cut
-- below what was already paid). The project row is locked by that update, so concurrent payments serialise.
CREATE TABLE community_disbursements (
    city_id      integer NOT NULL,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    project_id   bigint NOT NULL,
    amount       numeric(16, 2) NOT NULL CHECK (amount > 0),
    paid_on      date NOT NULL,
    tranche      text,
    recorded_by  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id),
    FOREIGN KEY (city_id, project_id) REFERENCES projects (city_id, id)
);
CREATE INDEX community_disbursements_project ON community_disbursements (city_id, project_id);

-- Incremental (disbursed + the payment − what it replaces), so two concurrent payments both count: the second UPDATE
-- waits for the first's row lock and then adds to the row as the first left it.
CREATE FUNCTION community_disbursed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        UPDATE projects SET disbursed = disbursed - OLD.amount WHERE city_id = OLD.city_id AND id = OLD.project_id;
    END IF;
    UPDATE projects SET disbursed = disbursed + NEW.amount WHERE city_id = NEW.city_id AND id = NEW.project_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER community_disbursements_sum AFTER INSERT OR UPDATE OF amount, project_id ON community_disbursements
    FOR EACH ROW EXECUTE FUNCTION community_disbursed();

-- Social audits: the community's public review of a project.
CREATE TABLE community_social_audits (
    city_id             integer NOT NULL,
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    project_id          bigint NOT NULL,
    held_on             date NOT NULL,
    participants        integer NOT NULL CHECK (participants >= 0),
    women_participants  integer NOT NULL DEFAULT 0 CHECK (women_participants >= 0),
    rating              text NOT NULL CHECK (rating IN ('satisfactory', 'issues-found', 'unsatisfactory')),
    findings            text,
    recorded_by         text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id),
    FOREIGN KEY (city_id, project_id) REFERENCES projects (city_id, id),
    CHECK (women_participants <= participants)
);

-- A city's (district_code null) or a district's strategic action plan: prioritised capital investments.
CREATE TABLE strategic_plan_items (
    city_id         integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    district_code   text,
    priority        integer NOT NULL CHECK (priority >= 1),
    title           text NOT NULL CHECK (title <> ''),
    need            text NOT NULL CHECK (need = ANY (community_needs())),
    estimated_cost  numeric(16, 2) CHECK (estimated_cost >= 0),
    status          text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'funded', 'in-progress', 'completed', 'dropped')),
    geom            geometry(Geometry, 4326),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id)
);
CREATE INDEX strategic_plan_items_geom_gist ON strategic_plan_items USING gist (geom);

-- Nothing here is deleted: rows are dissolved, left, superseded or corrected.
CREATE FUNCTION community_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted (dissolve, retire or correct them instead)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['community_gozars', 'councils', 'council_members', 'community_action_plans', 'projects',
                             'community_project_status_changes', 'community_disbursements', 'community_social_audits',
                             'strategic_plan_items'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE DELETE ON %I FOR EACH ROW EXECUTE FUNCTION community_no_delete()', t || '_no_delete', t);
    END LOOP;
END
$$;

-- History: the audit log records every write to these tables.
SELECT um_audit_attach('community_gozars', '''city_id'', ''id''');
SELECT um_audit_attach('councils', '''city_id'', ''id''');
SELECT um_audit_attach('council_members', '''city_id'', ''id''');
SELECT um_audit_attach('community_action_plans', '''city_id'', ''id''');
SELECT um_audit_attach('projects', '''city_id'', ''id''');
SELECT um_audit_attach('community_project_status_changes', '''city_id'', ''id''');
SELECT um_audit_attach('community_disbursements', '''city_id'', ''id''');
SELECT um_audit_attach('community_social_audits', '''city_id'', ''id''');
SELECT um_audit_attach('strategic_plan_items', '''city_id'', ''id''');

-- Tiles: data versions and change announcements for the two public layers (0003_tiles.sql).
INSERT INTO layer_versions (layer) VALUES ('councils'), ('projects') ON CONFLICT DO NOTHING;
CREATE TRIGGER councils_tiles_insert AFTER INSERT ON councils REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('councils');
CREATE TRIGGER councils_tiles_update AFTER UPDATE ON councils REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('councils');
CREATE TRIGGER projects_tiles_insert AFTER INSERT ON projects REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('projects');
CREATE TRIGGER projects_tiles_update AFTER UPDATE ON projects REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('projects');
