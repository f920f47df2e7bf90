-- The pieces the cutting line $2 (GeoJSON in SRID $3) cuts property $1 into, as EWKB MultiPolygons in EPSG:4326,
-- south to north then west to east (so the child numbers are stable for the same cut).
SELECT coalesce(array_agg(ST_AsEWKB(ST_Multi(d.geom)) ORDER BY ST_Y(ST_PointOnSurface(d.geom)), ST_X(ST_PointOnSurface(d.geom))), '{}')
FROM properties p
CROSS JOIN LATERAL ST_Dump(ST_Split(p.geom, ST_Transform(ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON($2::text)), $3::int), 4326))) d
WHERE p.id = $1 AND GeometryType(d.geom) = 'POLYGON';
