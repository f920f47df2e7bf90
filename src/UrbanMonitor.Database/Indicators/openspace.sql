-- SDG 11.7.1 inputs ($1 city id, $2 district code or NULL, $3 UTM srid): open public space inside the latest built-up
-- extent (or the districts when no built-up layer exists), and the population within 400 m of an open space.
WITH scope AS (SELECT ST_Transform(ST_Union(geom), $3) AS g FROM districts WHERE city_id = $1 AND ($2::text IS NULL OR code = $2)),
latest AS (SELECT max(epoch) AS epoch FROM built_up WHERE city_id = $1),
area AS (
    SELECT coalesce(
        (SELECT ST_Intersection(ST_Transform(ST_Union(b.geom), $3), scope.g) FROM built_up b, latest WHERE b.city_id = $1 AND b.epoch = latest.epoch),
        scope.g) AS g,
        (SELECT epoch FROM latest) AS epoch
    FROM scope),
spaces AS (SELECT ST_Union(ST_Transform(o.geom, $3)) AS g FROM open_spaces o WHERE o.city_id = $1 AND o.public_access),
units AS (
    SELECT u.population, ST_Transform(u.geom, $3) AS g FROM population_units u, scope
    WHERE u.city_id = $1 AND ST_Intersects(ST_PointOnSurface(ST_Transform(u.geom, $3)), scope.g)
    UNION ALL
    SELECT d.population, ST_Transform(d.geom, $3) FROM districts d
    WHERE d.city_id = $1 AND ($2::text IS NULL OR d.code = $2) AND d.population IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM population_units WHERE city_id = $1))
SELECT ST_Area(area.g)::double precision AS area_m2,
       coalesce(ST_Area(ST_Intersection(area.g, spaces.g)), 0)::double precision AS open_space_m2,
       area.epoch,
       (SELECT sum(u.population * coalesce(ST_Area(ST_Intersection(u.g, ST_Buffer(spaces.g, 400, 'quad_segs=8'))), 0) / nullif(ST_Area(u.g), 0)) FROM units u)::double precision AS near_population,
       (SELECT sum(population) FROM units)::double precision AS population,
       (SELECT count(*) FROM open_spaces WHERE city_id = $1 AND public_access) AS open_spaces
FROM area, spaces;
