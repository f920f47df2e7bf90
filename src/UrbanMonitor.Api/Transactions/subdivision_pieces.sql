-- The two children of a subdivision of property $1 by the part $2 (GeoJSON, EPSG:4326): the remainder (what of the
-- property the part does not cover) and the part as it lies in the property now, as EWKB MultiPolygons.
WITH p AS (SELECT geom FROM properties WHERE id = $1),
     g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($2::text), 4326) AS g)
SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_Difference(p.geom, g.g), 3))),
       ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_Intersection(p.geom, g.g), 3)))
FROM p, g;
