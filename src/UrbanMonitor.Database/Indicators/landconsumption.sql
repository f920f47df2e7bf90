-- SDG 11.3.1 inputs per scope ($1 city id, $2 district code or NULL, $5 every: the city and each district at once;
-- scope '' is the city, the union of its districts): built-up area (m², spheroid) of the first and last epochs within
-- the scope, and the city's population in those years.
WITH scopes AS (
    SELECT '' AS scope, ST_Union(geom) AS g FROM districts WHERE $2::text IS NULL AND city_id = $1
    UNION ALL
    SELECT code, ST_Union(geom) FROM districts WHERE city_id = $1 AND ($5 OR code = $2) GROUP BY code
),
e AS (SELECT min(epoch) AS first, max(epoch) AS last FROM built_up WHERE city_id = $1),
built AS MATERIALIZED (
    SELECT b.epoch, ST_Union(b.geom) AS g FROM built_up b, e WHERE b.city_id = $1 AND b.epoch IN (e.first, e.last) GROUP BY b.epoch),
areas AS (
    SELECT s.scope, b.epoch, ST_Area(ST_Intersection(b.g, s.g)::geography) AS m2
    FROM built b, scopes s WHERE b.g && s.g)
SELECT s.scope, e.first, e.last,
       coalesce((SELECT m2 FROM areas a WHERE a.scope = s.scope AND a.epoch = e.first), CASE WHEN e.first IS NOT NULL AND s.g IS NOT NULL THEN 0 END)::double precision AS first_m2,
       coalesce((SELECT m2 FROM areas a WHERE a.scope = s.scope AND a.epoch = e.last), CASE WHEN e.last IS NOT NULL AND s.g IS NOT NULL THEN 0 END)::double precision AS last_m2,
       (SELECT population FROM city_population WHERE city_id = $1 AND year = e.first)::double precision AS first_population,
       (SELECT population FROM city_population WHERE city_id = $1 AND year = e.last)::double precision AS last_population,
       (SELECT string_agg(year::text, ', ' ORDER BY year) FROM city_population WHERE city_id = $1) AS population_years
FROM scopes s, e
ORDER BY s.scope;
