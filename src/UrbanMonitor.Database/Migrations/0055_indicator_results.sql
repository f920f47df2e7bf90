-- Stored indicator results per city and district (district_code '' = the whole city), with their provenance, and a
-- queue of districts whose results a write made stale: statement triggers on properties, rights and settlements fill
-- indicator_dirty and NOTIFY indicators_dirty at commit; the service's updater recomputes just those districts.

CREATE TABLE indicator_results (
    city_id        integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    district_code  text NOT NULL DEFAULT '',
    code           text NOT NULL,
    value          double precision,
    unit           text NOT NULL,
    reason         text,
    method         text NOT NULL,
    method_version text NOT NULL,
    inputs         jsonb NOT NULL,
    provenance     jsonb NOT NULL,
    computed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, district_code, code)
);

-- Which layer changed where: the updater recomputes only the indicators that read that layer.
CREATE TABLE indicator_dirty (
    city_id        integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    district_code  text NOT NULL,
    layer          text NOT NULL,
    marked_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, district_code, layer)
);

-- Per-district counts (registration coverage, tenure) read properties by district.
CREATE INDEX IF NOT EXISTS properties_city_district ON properties (city_id, district_code);

CREATE FUNCTION indicators_mark_properties() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO indicator_dirty (city_id, district_code, layer)
        SELECT DISTINCT city_id, district_code, 'properties' FROM new_rows
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO indicator_dirty (city_id, district_code, layer)
        SELECT DISTINCT city_id, district_code, 'properties' FROM old_rows
        ON CONFLICT DO NOTHING;
    END IF;
    PERFORM pg_notify('indicators_dirty', 'properties');
    RETURN NULL;
END
$$;

CREATE FUNCTION indicators_mark_rights() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO indicator_dirty (city_id, district_code, layer)
        SELECT DISTINCT p.city_id, p.district_code, 'properties' FROM new_rows r
        JOIN properties p ON p.city_id = r.city_id AND p.id = r.property_id
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO indicator_dirty (city_id, district_code, layer)
        SELECT DISTINCT p.city_id, p.district_code, 'properties' FROM old_rows r
        JOIN properties p ON p.city_id = r.city_id AND p.id = r.property_id
        ON CONFLICT DO NOTHING;
    END IF;
    PERFORM pg_notify('indicators_dirty', 'rights');
    RETURN NULL;
END
$$;

-- A settlement counts towards every district it overlaps, before and after the edit.
CREATE FUNCTION indicators_mark_settlements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO indicator_dirty (city_id, district_code, layer)
        SELECT DISTINCT d.city_id, d.code, 'settlements' FROM new_rows s
        JOIN districts d ON d.city_id = s.city_id AND d.geom && s.geom AND ST_Intersects(d.geom, s.geom)
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO indicator_dirty (city_id, district_code, layer)
        SELECT DISTINCT d.city_id, d.code, 'settlements' FROM old_rows s
        JOIN districts d ON d.city_id = s.city_id AND d.geom && s.geom AND ST_Intersects(d.geom, s.geom)
        ON CONFLICT DO NOTHING;
    END IF;
    PERFORM pg_notify('indicators_dirty', 'settlements');
    RETURN NULL;
END
$$;

CREATE TRIGGER properties_indicators_insert AFTER INSERT ON properties REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_mark_properties();
CREATE TRIGGER properties_indicators_update AFTER UPDATE ON properties REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_mark_properties();
CREATE TRIGGER properties_indicators_delete AFTER DELETE ON properties REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_mark_properties();
CREATE TRIGGER rights_indicators_insert AFTER INSERT ON rights REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_mark_rights();
CREATE TRIGGER rights_indicators_update AFTER UPDATE ON rights REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_mark_rights();
CREATE TRIGGER rights_indicators_delete AFTER DELETE ON rights REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_mark_rights();
CREATE TRIGGER settlements_indicators_insert AFTER INSERT ON settlements REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_mark_settlements();
CREATE TRIGGER settlements_indicators_update AFTER UPDATE ON settlements REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_mark_settlements();
CREATE TRIGGER settlements_indicators_delete AFTER DELETE ON settlements REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_mark_settlements();
