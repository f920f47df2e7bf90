-- The registration rules on a candidate geometry ($1, EWKB in EPSG:4326) of city $2, district $3. $4 is the property
-- being edited (excluded from the overlap and code checks), $5 the human code, $6 the overlap tolerance in m².
-- Areas are geodesic (geography), in m²; the district may be missed by up to 1 m (survey noise on its boundary).
WITH c AS (
    SELECT ST_GeomFromEWKB($1::bytea) AS g
), d AS (
    SELECT geom FROM districts WHERE city_id = $2 AND code = $3
)
SELECT
    EXISTS (SELECT 1 FROM d) AS district_exists,
    -- The 1 m buffer of the district is only built for parcels on its edge (CASE keeps the order).
    coalesce((SELECT CASE WHEN ST_CoveredBy(c.g, d.geom) THEN true
                          ELSE ST_CoveredBy(c.g, ST_Buffer(d.geom::geography, 1.0)::geometry) END FROM c, d), false) AS inside,
    (SELECT ST_Area(c.g::geography) FROM c) AS area_m2,
    (SELECT coalesce(json_agg(json_build_object('code', o.code, 'id', o.id, 'overlapM2', round(o.area::numeric, 3), 'overlap', o.wkt)
                              ORDER BY o.area DESC), '[]')::text
     FROM (SELECT p.code, p.id, ST_Area(x.i::geography) AS area, ST_AsText(x.i) AS wkt
           FROM c
           JOIN properties p ON p.city_id = $2 AND p.status <> 'retired' AND ST_Intersects(p.geom, c.g)
           CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Intersection(p.geom, c.g), 3) AS i) x
           WHERE p.id IS DISTINCT FROM $4::bigint) o
     WHERE o.area > $6::float8) AS conflicts,
    EXISTS (SELECT 1 FROM properties WHERE city_id = $2 AND code = $5 AND id IS DISTINCT FROM $4::bigint) AS code_taken;
