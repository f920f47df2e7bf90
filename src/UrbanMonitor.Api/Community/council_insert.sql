-- A new council ($1 city id, $2 code, $3 name, $4 district code or null: the district holding the area's point on
-- surface, $5 gozar code or null, $6 elected on, $7 households, $8 geometry EWKB in EPSG:4326). Returns its id and
-- district; no row when the gozar code is unknown.
WITH g AS (SELECT ST_Multi(ST_CollectionExtract(ST_GeomFromEWKB($8), 3)) AS geom),
gozar AS (SELECT id FROM community_gozars WHERE city_id = $1 AND code = $5)
INSERT INTO councils (city_id, code, name, district_code, gozar_id, elected_on, households, geom)
SELECT $1, $2, $3,
       coalesce($4, (SELECT d.code FROM districts d WHERE d.city_id = $1 AND ST_Intersects(d.geom, ST_PointOnSurface(g.geom)) ORDER BY d.code LIMIT 1)),
       (SELECT id FROM gozar), $6, $7, g.geom
FROM g
WHERE $5::text IS NULL OR EXISTS (SELECT 1 FROM gozar)
RETURNING id, district_code;
