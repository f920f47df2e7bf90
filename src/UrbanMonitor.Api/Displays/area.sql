-- The city of slug $1 and the display area: district $2's boundary, or the GeoJSON polygon $3 in SRID $4. Returns the
-- city id, a reason when the area is unusable (with the invalidity's location in EPSG:4326, x = longitude), and the
-- area as EWKB in EPSG:4326. No row when the city does not exist.
WITH c AS (SELECT id FROM cities WHERE slug = $1),
g AS (
    SELECT CASE WHEN $2::text IS NOT NULL THEN (SELECT geom FROM districts, c WHERE city_id = c.id AND code = $2)
                ELSE ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON($3::text)), $4::int) END AS g
),
d AS (SELECT g.g, ST_IsValidDetail(g.g) AS v FROM g)
SELECT c.id,
       CASE WHEN d.g IS NULL THEN 'There is no district ' || $2 || ' in this city.'
            WHEN GeometryType(d.g) NOT IN ('POLYGON', 'MULTIPOLYGON') THEN 'area must be a Polygon or MultiPolygon, not ' || GeometryType(d.g) || '.'
            WHEN ST_IsEmpty(d.g) THEN 'area is empty.'
            WHEN NOT (d.v).valid THEN 'area is not valid: ' || (d.v).reason
                 || coalesce(' at ' || ST_AsText(ST_Transform(ST_SetSRID((d.v).location, ST_SRID(d.g)), 4326)), '') || '.'
            WHEN ST_XMin(t.g) < -180 OR ST_XMax(t.g) > 180 OR ST_YMin(t.g) < -90 OR ST_YMax(t.g) > 90
                 THEN 'area lies outside longitude -180..180 or latitude -90..90 once in EPSG:4326. GeoJSON puts x (longitude) first; other CRS: ?crs=EPSG:<code>.'
       END,
       CASE WHEN GeometryType(d.g) IN ('POLYGON', 'MULTIPOLYGON') AND NOT ST_IsEmpty(d.g) AND NOT (d.v).valid THEN ST_AsText(ST_Transform(ST_SetSRID((d.v).location, ST_SRID(d.g)), 4326)) END,
       ST_AsEWKB(ST_Multi(t.g))
FROM c, d, LATERAL (SELECT CASE WHEN d.g IS NOT NULL AND NOT ST_IsEmpty(d.g) AND (d.v).valid THEN ST_Transform(d.g, 4326) END AS g) t;
