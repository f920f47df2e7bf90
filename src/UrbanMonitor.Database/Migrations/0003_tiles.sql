-- Map tiles: a maintained EPSG:3857 copy of every tiled geometry with its own GiST index, a data version per
-- layer, and triggers that bump that version and announce what changed, so any write (SQL today, the registration
-- API later) invalidates exactly the cached tiles it touches.

-- Web Mercator is undefined at the poles: latitudes are clipped to ±85.06° before transforming, so ST_Transform never
-- fails. The column is typed Geometry (not MultiPolygon) because a clipped shape may change type or become empty.
CREATE FUNCTION tiles_web_mercator(g geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
        WHEN ST_YMin(g) >= -85.06 AND ST_YMax(g) <= 85.06 THEN ST_Transform(g, 3857)
        ELSE ST_Transform(ST_ClipByBox2D(g, 'BOX(-180 -85.06,180 85.06)'::box2d), 3857)
    END
$$;

ALTER TABLE properties    ADD COLUMN geom3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED;
ALTER TABLE settlements   ADD COLUMN geom3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED;
ALTER TABLE districts     ADD COLUMN geom3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED;
ALTER TABLE transit_stops ADD COLUMN geom3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED;

CREATE INDEX properties_geom3857_gist    ON properties    USING gist (geom3857);
CREATE INDEX settlements_geom3857_gist   ON settlements   USING gist (geom3857);
CREATE INDEX districts_geom3857_gist     ON districts     USING gist (geom3857);
CREATE INDEX transit_stops_geom3857_gist ON transit_stops USING gist (geom3857);

-- The data version of each layer (all cities together, as tiles are): bumped by every committed write, carried in
-- TileJSON tile URLs (?v=) so a CDN may keep a versioned URL forever.
CREATE TABLE layer_versions (
    layer   text PRIMARY KEY,
    version bigint NOT NULL DEFAULT 1
);
INSERT INTO layer_versions (layer) VALUES ('properties'), ('settlements'), ('districts'), ('transit-stops');

-- Bumps the layer's version and sends NOTIFY tiles_changed with JSON
-- {"layer":…, "version":…, "old":[[xmin,ymin,xmax,ymax],…], "new":[…]} in EPSG:4326 degrees. Up to 32 rows are
-- sent box by box; more are sent as one extent (over-invalidates, never under-). "all": true after a TRUNCATE.
-- NOTIFY is delivered at commit, so a rolled-back write invalidates nothing.
CREATE FUNCTION tiles_boxes(boxes geometry[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN boxes IS NULL OR cardinality(boxes) = 0 THEN '[]'::jsonb
        WHEN cardinality(boxes) <= 32 THEN (
            SELECT coalesce(jsonb_agg(jsonb_build_array(ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b))), '[]'::jsonb)
            FROM unnest(boxes) b WHERE b IS NOT NULL AND NOT ST_IsEmpty(b))
        ELSE (
            SELECT CASE WHEN e IS NULL THEN '[]'::jsonb
                   ELSE jsonb_build_array(jsonb_build_array(ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e))) END
            FROM (SELECT ST_Extent(b)::geometry AS e FROM unnest(boxes) b) x)
    END
$$;

CREATE FUNCTION tiles_layer_changed(p_layer text, old_boxes geometry[], new_boxes geometry[], everything boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
BEGIN
    INSERT INTO layer_versions AS lv (layer, version) VALUES (p_layer, 2)
    ON CONFLICT ON CONSTRAINT layer_versions_pkey DO UPDATE SET version = lv.version + 1
    RETURNING lv.version INTO v;
    PERFORM pg_notify('tiles_changed', jsonb_build_object(
        'layer', p_layer, 'version', v, 'all', everything,
        'old', tiles_boxes(old_boxes), 'new', tiles_boxes(new_boxes))::text);
END
$$;

-- Large statements (a bulk load) are summed up as one extent without collecting their rows' boxes.
CREATE FUNCTION tiles_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    e box2d;
    boxes geometry[];
BEGIN
    SELECT count(*), ST_Extent(geom) INTO n, e FROM new_rows;
    IF n = 0 THEN RETURN NULL; END IF;
    IF n <= 32 THEN SELECT array_agg(ST_Envelope(geom)) INTO boxes FROM new_rows; ELSE boxes := ARRAY[e::geometry]; END IF;
    PERFORM tiles_layer_changed(TG_ARGV[0], NULL, boxes, false);
    RETURN NULL;
END
$$;

CREATE FUNCTION tiles_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    old_e box2d;
    new_e box2d;
    old_boxes geometry[];
    new_boxes geometry[];
BEGIN
    SELECT count(*), ST_Extent(geom) INTO n, new_e FROM new_rows;
    IF n = 0 THEN RETURN NULL; END IF;
    SELECT ST_Extent(geom) INTO old_e FROM old_rows;
    IF n <= 32 THEN
        SELECT array_agg(ST_Envelope(geom)) INTO old_boxes FROM old_rows;
        SELECT array_agg(ST_Envelope(geom)) INTO new_boxes FROM new_rows;
    ELSE
        old_boxes := ARRAY[old_e::geometry];
        new_boxes := ARRAY[new_e::geometry];
    END IF;
    PERFORM tiles_layer_changed(TG_ARGV[0], old_boxes, new_boxes, false);
    RETURN NULL;
END
$$;

CREATE FUNCTION tiles_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    e box2d;
    boxes geometry[];
BEGIN
    SELECT count(*), ST_Extent(geom) INTO n, e FROM old_rows;
    IF n = 0 THEN RETURN NULL; END IF;
    IF n <= 32 THEN SELECT array_agg(ST_Envelope(geom)) INTO boxes FROM old_rows; ELSE boxes := ARRAY[e::geometry]; END IF;
    PERFORM tiles_layer_changed(TG_ARGV[0], boxes, NULL, false);
    RETURN NULL;
END
$$;

CREATE FUNCTION tiles_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tiles_layer_changed(TG_ARGV[0], NULL, NULL, true);
    RETURN NULL;
END
$$;

-- Statement-level with transition tables: one version bump and one NOTIFY per statement, however many rows.
CREATE TRIGGER properties_tiles_insert AFTER INSERT ON properties REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('properties');
CREATE TRIGGER properties_tiles_update AFTER UPDATE ON properties REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('properties');
CREATE TRIGGER properties_tiles_delete AFTER DELETE ON properties REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_delete('properties');
CREATE TRIGGER properties_tiles_truncate AFTER TRUNCATE ON properties
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_truncate('properties');

CREATE TRIGGER settlements_tiles_insert AFTER INSERT ON settlements REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('settlements');
CREATE TRIGGER settlements_tiles_update AFTER UPDATE ON settlements REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('settlements');
CREATE TRIGGER settlements_tiles_delete AFTER DELETE ON settlements REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_delete('settlements');
CREATE TRIGGER settlements_tiles_truncate AFTER TRUNCATE ON settlements
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_truncate('settlements');

CREATE TRIGGER districts_tiles_insert AFTER INSERT ON districts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('districts');
CREATE TRIGGER districts_tiles_update AFTER UPDATE ON districts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('districts');
CREATE TRIGGER districts_tiles_delete AFTER DELETE ON districts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_delete('districts');
CREATE TRIGGER districts_tiles_truncate AFTER TRUNCATE ON districts
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_truncate('districts');

CREATE TRIGGER transit_stops_tiles_insert AFTER INSERT ON transit_stops REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('transit-stops');
CREATE TRIGGER transit_stops_tiles_update AFTER UPDATE ON transit_stops REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('transit-stops');
CREATE TRIGGER transit_stops_tiles_delete AFTER DELETE ON transit_stops REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_delete('transit-stops');
CREATE TRIGGER transit_stops_tiles_truncate AFTER TRUNCATE ON transit_stops
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_truncate('transit-stops');
