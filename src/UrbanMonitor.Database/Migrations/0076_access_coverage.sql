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

-- Rebuilds one city's coverage for one layer ('transit-stops' or 'facilities'): one source for all stops, one per
-- facility kind, each in the UTM zone of the layer's extent.
CREATE FUNCTION um_refresh_access_coverage(p_city integer, p_layer text) RETURNS void
LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    IF p_layer NOT IN ('transit-stops', 'facilities') THEN
        RAISE EXCEPTION 'um_refresh_access_coverage: unknown layer %', p_layer;
    END IF;
    DELETE FROM access_coverage WHERE city_id = p_city AND (source = 'transit') = (p_layer = 'transit-stops');
    INSERT INTO access_coverage (city_id, source, distance_m, srid, geom)
    WITH points AS (
        SELECT 'transit' AS source, geom FROM transit_stops WHERE p_layer = 'transit-stops' AND city_id = p_city
        UNION ALL
        SELECT 'facility:' || kind, geom FROM facilities WHERE p_layer = 'facilities' AND city_id = p_city),
    zone AS (SELECT um_utm_srid(ST_SetSRID(ST_Extent(geom)::geometry, 4326)) AS srid FROM points)
    SELECT p_city, u.source, u.m, zone.srid, ST_SetSRID(ST_Subdivide(u.geom, 64), 0)
    FROM zone
    CROSS JOIN LATERAL (SELECT p.source, d.m, ST_Union(ST_Buffer(ST_Transform(p.geom, zone.srid), d.m, 'quad_segs=8')) AS geom
                        FROM points p CROSS JOIN (VALUES (500), (1000)) d (m)
                        GROUP BY p.source, d.m) u
    WHERE zone.srid IS NOT NULL;
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
    ELSE
        -- Only updates that move a point or change its city or (facilities) its kind change the coverage, not a renaming.
        FOR c IN SELECT unnest(ARRAY[o.city_id, n.city_id]) FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE o.geom IS DISTINCT FROM n.geom OR o.city_id <> n.city_id OR to_jsonb(o) ->> 'kind' IS DISTINCT FROM to_jsonb(n) ->> 'kind'
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
