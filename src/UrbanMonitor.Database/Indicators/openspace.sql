-- SDG 11.7.1 inputs per scope ($1 city id, $2 district code or NULL, $3 UTM srid, $5 every: the city and each district
-- at once; scope '' is the city, the union of its districts): open public space inside the latest built-up extent (or
-- the scope itself when no built-up layer exists), and the population within 400 m of an open space. Population units
-- count in a scope when their point on surface lies in it; without units, the scope's districts with a population are
-- the units. Only the open spaces that meet a scope's built-up area (or lie within 400 m of a unit) take part in its
-- overlay: the result is the same as against the union of all of them, and a district's overlay stays small.
WITH scopes AS (
    SELECT '' AS scope, ST_Transform(ST_Union(geom), $3) AS g FROM districts WHERE $2::text IS NULL AND city_id = $1 HAVING count(*) > 0
    UNION ALL
    SELECT code, ST_Transform(ST_Union(geom), $3) FROM districts WHERE city_id = $1 AND ($5 OR code = $2) GROUP BY code
),
latest AS (SELECT max(epoch) AS epoch FROM built_up WHERE city_id = $1),
built AS MATERIALIZED (SELECT ST_Transform(ST_Union(b.geom), $3) AS g FROM built_up b, latest WHERE b.city_id = $1 AND b.epoch = latest.epoch),
area AS MATERIALIZED (SELECT scopes.scope, scopes.g AS scope_g, coalesce(ST_Intersection(built.g, scopes.g), scopes.g) AS g FROM scopes, built),
spaces AS MATERIALIZED (SELECT ST_Transform(o.geom, $3) AS g FROM open_spaces o WHERE o.city_id = $1 AND o.public_access),
has_units AS (SELECT EXISTS (SELECT 1 FROM population_units WHERE city_id = $1) AS yes),
units AS MATERIALIZED (
    SELECT 'population-units' AS source, u.id, u.population::double precision AS population, t.g, ST_PointOnSurface(t.g) AS pt
    FROM population_units u, LATERAL (SELECT ST_Transform(u.geom, $3) AS g) t WHERE u.city_id = $1
    UNION ALL
    SELECT 'districts', d.id, d.population::double precision, ST_Transform(d.geom, $3), NULL FROM districts d, has_units
    WHERE d.city_id = $1 AND d.population IS NOT NULL AND NOT has_units.yes AND ($2::text IS NULL OR $5 OR d.code = $2)),
members AS (
    SELECT a.scope, u.source, u.id FROM area a JOIN units u ON u.source = 'population-units' AND ST_Intersects(u.pt, a.scope_g)
    UNION ALL
    SELECT a.scope, u.source, u.id FROM area a JOIN districts d ON d.city_id = $1 AND (a.scope = '' OR d.code = a.scope)
    JOIN units u ON u.source = 'districts' AND u.id = d.id),
near AS (
    SELECT u.source, u.id, u.population,
           u.population * coalesce(ST_Area(ST_Intersection(u.g, ST_Buffer(
               (SELECT ST_Union(s.g) FROM spaces s WHERE ST_DWithin(s.g, u.g, 400)), 400, 'quad_segs=8'))), 0) / nullif(ST_Area(u.g), 0) AS near_population
    FROM units u WHERE EXISTS (SELECT 1 FROM members m WHERE m.source = u.source AND m.id = u.id))
SELECT a.scope, ST_Area(a.g)::double precision AS area_m2,
       coalesce(ST_Area(ST_Intersection(a.g, (SELECT ST_Union(s.g) FROM spaces s WHERE s.g && a.g))), 0)::double precision AS open_space_m2,
       (SELECT epoch FROM latest) AS epoch,
       (SELECT sum(n.near_population) FROM members m JOIN near n ON n.source = m.source AND n.id = m.id WHERE m.scope = a.scope)::double precision AS near_population,
       (SELECT sum(n.population) FROM members m JOIN near n ON n.source = m.source AND n.id = m.id WHERE m.scope = a.scope)::double precision AS population,
       (SELECT count(*) FROM open_spaces WHERE city_id = $1 AND public_access) AS open_spaces
FROM area a
ORDER BY a.scope;
