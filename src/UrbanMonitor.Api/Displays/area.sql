-- The city of slug $1 and the display area: district $2's boundary, or the GeoJSON polygon $3 (EPSG:4326). Returns
-- city id, a reason when the area is unusable, and the area as EWKB. No row when the city does not exist.
WITH c AS (SELECT id FROM cities WHERE slug = $1),
g AS (
    SELECT CASE WHEN $2::text IS NOT NULL THEN (SELECT geom FROM districts, c WHERE city_id = c.id AND code = $2)
                ELSE ST_SetSRID(ST_GeomFromGeoJSON($3::text), 4326) END AS g
)
SELECT c.id,
       CASE WHEN g.g IS NULL THEN 'There is no district ' || $2 || ' in this city.'
            WHEN GeometryType(g.g) NOT IN ('POLYGON', 'MULTIPOLYGON') THEN 'area must be a Polygon or MultiPolygon, not ' || GeometryType(g.g) || '.'
            WHEN NOT ST_IsValid(g.g) THEN 'area is not valid: ' || ST_IsValidReason(g.g) END,
       ST_AsEWKB(ST_Multi(ST_Force2D(g.g)))
FROM c, g;
