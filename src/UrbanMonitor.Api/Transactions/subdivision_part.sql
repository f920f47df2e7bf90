-- The part $2 (EWKB, EPSG:4326) of property $1 sold in a subdivision: how much of it lies inside the property, how much
-- outside (and a point there), what remains of the property (geodesic m²), and the part clipped to the property
-- (GeoJSON MultiPolygon), which is what the transaction keeps.
WITH p AS (SELECT geom FROM properties WHERE id = $1),
     g AS (SELECT ST_GeomFromEWKB($2::bytea) AS g),
     x AS (SELECT ST_CollectionExtract(ST_Intersection(p.geom, g.g), 3) AS inside,
                  ST_CollectionExtract(ST_Difference(g.g, p.geom), 3) AS outside,
                  ST_CollectionExtract(ST_Difference(p.geom, g.g), 3) AS remainder
           FROM p, g)
SELECT coalesce(ST_Area(inside::geography), 0),
       coalesce(ST_Area(outside::geography), 0),
       CASE WHEN NOT ST_IsEmpty(outside) THEN ST_AsText(ST_PointOnSurface(outside)) END,
       coalesce(ST_Area(remainder::geography), 0),
       ST_AsGeoJSON(ST_Multi(inside), 9)
FROM x;
