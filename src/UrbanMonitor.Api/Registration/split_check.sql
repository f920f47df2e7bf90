-- Whether the children $2 (EWKB array, EPSG:4326) of a split of property $1 cover it: the parent's and the children's
-- geodesic areas (m²), what of the parent no child covers and what of the children lies outside the parent (area and
-- a point in it), the pairs of children that overlap by more than $3 m², and the parent's block, parcel and attributes.
WITH p AS (
    SELECT geom, block, parcel, attributes FROM properties WHERE id = $1
), k AS (
    SELECT n, ST_GeomFromEWKB(b) AS g FROM unnest($2::bytea[]) WITH ORDINALITY AS u(b, n)
), u AS (
    SELECT ST_Union(g) AS g FROM k
), d AS (
    SELECT ST_CollectionExtract(ST_Difference(p.geom, u.g), 3) AS gap,
           ST_CollectionExtract(ST_Difference(u.g, p.geom), 3) AS excess
    FROM p, u
)
SELECT (SELECT ST_Area(geom::geography) FROM p) AS parent_m2,
       (SELECT sum(ST_Area(g::geography)) FROM k) AS children_m2,
       coalesce(ST_Area(d.gap::geography), 0) AS gap_m2,
       CASE WHEN NOT ST_IsEmpty(d.gap) THEN ST_AsText(ST_PointOnSurface(d.gap)) END AS gap_at,
       coalesce(ST_Area(d.excess::geography), 0) AS excess_m2,
       CASE WHEN NOT ST_IsEmpty(d.excess) THEN ST_AsText(ST_PointOnSurface(d.excess)) END AS excess_at,
       (SELECT coalesce(json_agg(json_build_object('children', json_build_array(o.a, o.b), 'overlapM2', round(o.area::numeric, 3),
                                                   'location', ST_AsText(ST_PointOnSurface(o.i))) ORDER BY o.a, o.b), '[]')::text
        FROM (SELECT a.n AS a, b.n AS b, x.i, ST_Area(x.i::geography) AS area
              FROM k a JOIN k b ON a.n < b.n AND ST_Intersects(a.g, b.g)
              CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Intersection(a.g, b.g), 3) AS i) x) o
        WHERE o.area > $3::float8) AS overlaps,
       p.block, p.parcel, p.attributes::text
FROM d, p;
