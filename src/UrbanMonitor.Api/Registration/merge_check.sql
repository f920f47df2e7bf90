-- The union of properties $1 (bigint[]) as EWKB in EPSG:4326, and how many groups they fall into when parcels within
-- $2 metres of each other (in the local UTM zone) count as adjacent: 1 means they form one connected piece; the
-- distinct blocks and statuses among them, and the city's code.
WITH p AS (
    SELECT city_id, geom, block, status FROM properties WHERE id = ANY ($1::bigint[])
), z AS (
    SELECT um_utm_srid(ST_Union(geom)) AS srid FROM p
)
SELECT ST_AsEWKB(ST_Multi(ST_Union(p.geom))),
       (SELECT count(DISTINCT c) FROM (SELECT ST_ClusterDBSCAN(ST_Transform(p2.geom, z.srid), $2::float8, 1) OVER () AS c FROM p p2, z) g),
       array_agg(DISTINCT p.block), array_agg(DISTINCT p.status),
       (SELECT c.code FROM cities c WHERE c.id = min(p.city_id))
FROM p;
