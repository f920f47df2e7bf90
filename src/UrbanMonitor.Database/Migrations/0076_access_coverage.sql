-- Access coverage (issue 6): for each city, the area within 500 m and 1 km (straight line) of any transit stop and of
-- any facility of each kind, kept as the union of the buffers cut into small pieces. The settlement analysis reads
-- "share of the settlement within 500 m / 1 km of a stop" from it for one settlement or for all 1,074 of Rio at once,
-- instead of buffering and unioning the stops again for every settlement.
--
-- The pieces are in the layer's UTM zone (metres; the zone of the centre of the layer's extent, kept in srid) and
-- stored with SRID 0, so one GiST index serves every city whatever its zone; readers transform the settlement into
-- srid and drop its SRID the same way. Statement-level triggers rebuild a city's coverage when its stops or
-- facilities change (imports write them in one statement, so that is one rebuild per import).
CREATE TABLE access_coverage (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    source      text NOT NULL,     -- 'transit' or 'facility:{kind}'
    distance_m  integer NOT NULL CHECK (distance_m IN (500, 1000)),
    srid        integer NOT NULL,
    geom        geometry(Polygon, 0) NOT NULL
);
CREATE INDEX access_coverage_key ON access_coverage (city_id, source, distance_m);
CREATE INDEX access_coverage_geom_gist ON access_coverage USING gist (geom);

-- Rebuilds one city's coverage for one layer ('transit-stops' or 'facilities').
CREATE FUNCTION um_refresh_access_coverage(p_city integer, p_layer text) RETURNS void
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    z integer;
BEGIN
    IF p_layer = 'transit-stops' THEN
        DELETE FROM access_coverage WHERE city_id = p_city AND source = 'transit';
        SELECT um_utm_srid(ST_SetSRID(ST_Extent(geom)::geometry, 4326)) INTO z FROM transit_stops WHERE city_id = p_city;
        IF z IS NULL THEN RETURN; END IF;
        INSERT INTO access_coverage (city_id, source, distance_m, srid, geom)
        SELECT p_city, 'transit', d.m, z, ST_SetSRID(ST_Subdivide(u.geom, 64), 0)
        FROM (VALUES (500), (1000)) d (m)
        CROSS JOIN LATERAL (SELECT ST_Union(ST_Buffer(ST_Transform(t.geom, z), d.m, 'quad_segs=8')) AS geom
                            FROM transit_stops t WHERE t.city_id = p_city) u;
    ELSIF p_layer = 'facilities' THEN
        DELETE FROM access_coverage WHERE city_id = p_city AND source LIKE 'facility:%';
        SELECT um_utm_srid(ST_SetSRID(ST_Extent(geom)::geometry, 4326)) INTO z FROM facilities WHERE city_id = p_city;
        IF z IS NULL THEN RETURN; END IF;
        INSERT INTO access_coverage (city_id, source, distance_m, srid, geom)
        SELECT p_city, 'facility:' || u.kind, u.m, z, ST_SetSRID(ST_Subdivide(u.geom, 64), 0)
        FROM (SELECT f.kind, d.m, ST_Union(ST_Buffer(ST_Transform(f.geom, z), d.m, 'quad_segs=8')) AS geom
              FROM facilities f CROSS JOIN (VALUES (500), (1000)) d (m)
              WHERE f.city_id = p_city
              GROUP BY f.kind, d.m) u;
    ELSE
        RAISE EXCEPTION 'um_refresh_access_coverage: unknown layer %', p_layer;
    END IF;
END
$$;

-- Trigger: rebuild the coverage of every city the statement touched (TG_ARGV[0] is the layer id).
CREATE FUNCTION access_coverage_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c integer;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        FOR c IN SELECT id FROM cities LOOP PERFORM um_refresh_access_coverage(c, TG_ARGV[0]); END LOOP;
    ELSIF TG_OP = 'INSERT' THEN
        FOR c IN SELECT DISTINCT city_id FROM new_rows LOOP PERFORM um_refresh_access_coverage(c, TG_ARGV[0]); END LOOP;
    ELSIF TG_OP = 'DELETE' THEN
        FOR c IN SELECT DISTINCT city_id FROM old_rows LOOP PERFORM um_refresh_access_coverage(c, TG_ARGV[0]); END LOOP;
    ELSIF TG_ARGV[0] = 'facilities' THEN
        -- Only updates that move a facility or change its kind or city change the coverage (not a renamed one).
        FOR c IN SELECT unnest(ARRAY[o.city_id, n.city_id]) FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE o.geom IS DISTINCT FROM n.geom OR o.kind IS DISTINCT FROM n.kind OR o.city_id <> n.city_id
                 GROUP BY 1 LOOP
            PERFORM um_refresh_access_coverage(c, TG_ARGV[0]);
        END LOOP;
    ELSE
        FOR c IN SELECT unnest(ARRAY[o.city_id, n.city_id]) FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE o.geom IS DISTINCT FROM n.geom OR o.city_id <> n.city_id
                 GROUP BY 1 LOOP
            PERFORM um_refresh_access_coverage(c, TG_ARGV[0]);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER transit_stops_coverage_insert AFTER INSERT ON transit_stops REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION access_coverage_on_change('transit-stops');
CREATE TRIGGER transit_stops_coverage_update AFTER UPDATE ON transit_stops REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION access_coverage_on_change('transit-stops');
CREATE TRIGGER transit_stops_coverage_delete AFTER DELETE ON transit_stops REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION access_coverage_on_change('transit-stops');
CREATE TRIGGER transit_stops_coverage_truncate AFTER TRUNCATE ON transit_stops
    FOR EACH STATEMENT EXECUTE FUNCTION access_coverage_on_change('transit-stops');

CREATE TRIGGER facilities_coverage_insert AFTER INSERT ON facilities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION access_coverage_on_change('facilities');
CREATE TRIGGER facilities_coverage_update AFTER UPDATE ON facilities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION access_coverage_on_change('facilities');
CREATE TRIGGER facilities_coverage_delete AFTER DELETE ON facilities REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION access_coverage_on_change('facilities');
CREATE TRIGGER facilities_coverage_truncate AFTER TRUNCATE ON facilities
    FOR EACH STATEMENT EXECUTE FUNCTION access_coverage_on_change('facilities');

-- Existing data (an upgraded database).
SELECT um_refresh_access_coverage(c.id, l.layer)
FROM cities c CROSS JOIN (VALUES ('transit-stops'), ('facilities')) l (layer);

-- Share (0–1) of an area within p_distance of the source: the area of its intersection with the coverage pieces
-- (which do not overlap: they are cuts of one union) over its own area, both in the coverage's UTM zone. NULL when the
-- city has no such layer at all (no stops, or no facility of that kind), which is not the same as being far from one.
CREATE FUNCTION um_coverage_share(p_city integer, p_source text, p_distance integer, p_area geometry)
RETURNS double precision LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    z integer;
    u geometry;
    covered double precision;
BEGIN
    SELECT srid INTO z FROM access_coverage
    WHERE city_id = p_city AND source = p_source AND distance_m = p_distance LIMIT 1;
    IF z IS NULL THEN RETURN NULL; END IF;
    u := ST_SetSRID(ST_Transform(p_area, z), 0);
    SELECT sum(ST_Area(ST_Intersection(c.geom, u))) INTO covered
    FROM access_coverage c
    WHERE c.city_id = p_city AND c.source = p_source AND c.distance_m = p_distance AND c.geom && u;
    RETURN least(1.0, coalesce(covered, 0) / nullif(ST_Area(u), 0));
END
$$;
