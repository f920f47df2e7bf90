-- Parses a GeoJSON geometry given in SRID $2 and checks its type and validity. The candidate (EPSG:4326 MultiPolygon,
-- as EWKB) is null unless the type is right and the geometry is valid, or invalid and $3 (repair) asks for ST_MakeValid.
-- The invalidity location is reported in EPSG:4326 (x = longitude).
WITH src AS (
    SELECT ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON($1::text)), $2::int) AS g
), checked AS (
    SELECT g, GeometryType(g) AS gtype, ST_IsEmpty(g) AS empty, ST_IsValidDetail(g) AS d FROM src
)
SELECT gtype,
       empty,
       (d).valid,
       (d).reason,
       ST_AsText(ST_Transform(ST_SetSRID((d).location, $2::int), 4326)) AS location,
       CASE WHEN gtype IN ('POLYGON', 'MULTIPOLYGON') AND NOT empty AND ((d).valid OR $3::boolean)
            THEN ST_AsEWKB(ST_Transform(ST_Multi(ST_CollectionExtract(
                     CASE WHEN (d).valid THEN g ELSE ST_MakeValid(g) END, 3)), 4326))
       END AS candidate
FROM checked;
