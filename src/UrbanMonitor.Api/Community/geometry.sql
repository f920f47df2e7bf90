-- Parses a GeoJSON geometry sent in SRID $2 and checks it: its type, emptiness, validity (GEOS reason and location in
-- EPSG:4326, x = longitude) and the coordinate range after transformation. geom is the EPSG:4326 EWKB, 2D.
WITH src AS (
    SELECT ST_Transform(ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON($1::text)), $2::int), 4326) AS g
), checked AS (
    SELECT g, GeometryType(g) AS gtype, ST_IsEmpty(g) AS empty, ST_IsValidDetail(g) AS d FROM src
)
SELECT gtype, empty, (d).valid, (d).reason, ST_AsText((d).location) AS location,
       NOT empty AND (ST_XMin(g) < -180 OR ST_XMax(g) > 180 OR ST_YMin(g) < -90 OR ST_YMax(g) > 90) AS out_of_range,
       ST_AsEWKB(g) AS geom
FROM checked;
