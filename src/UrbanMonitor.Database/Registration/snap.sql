-- Snaps candidate $1 (EWKB, EPSG:4326) to the active parcels of city $2 other than $3 within $4 metres: ST_Snap in
-- metres in the local UTM zone. Returns the snapped EWKB (null when nothing moved or the result would be invalid),
-- the neighbours it snapped to, the largest shift (m), the vertex counts before and after, and whether it was valid.
WITH c AS (
    SELECT g, um_utm_srid(g) AS srid FROM (SELECT ST_GeomFromEWKB($1::bytea) AS g) x
), u AS (
    SELECT g, srid, ST_Transform(g, srid) AS gu FROM c
), n AS (
    SELECT p.code, ST_Transform(p.geom, u.srid) AS nu
    FROM u
    JOIN properties p ON p.city_id = $2 AND p.status <> 'retired' AND p.id IS DISTINCT FROM $3::bigint
                     -- 1e-5 degrees is over a metre: a cheap index filter before the exact test in metres.
                     AND p.geom && ST_Expand(u.g, $4::float8 * 1e-5 + 1e-6)
    WHERE ST_DWithin(ST_Transform(p.geom, u.srid), u.gu, $4::float8)
), s AS (
    SELECT u.gu, ST_Snap(u.gu, (SELECT ST_Collect(nu) FROM n), $4::float8) AS su, u.srid
    FROM u WHERE EXISTS (SELECT 1 FROM n)
)
SELECT CASE WHEN NOT ST_Equals(s.su, s.gu) AND ST_IsValid(s.su)
            THEN ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_Transform(s.su, 4326), 3))) END,
       (SELECT array_agg(code ORDER BY code) FROM n),
       ST_HausdorffDistance(s.gu, s.su),
       ST_NPoints(s.gu), ST_NPoints(s.su), ST_IsValid(s.su)
FROM s;
