-- SDG 11.3.1 inputs ($1 city id, $2 district code or NULL): built-up area (m², spheroid) of the first and last epochs
-- within the scope, and the city's population in those years.
WITH scope AS (SELECT ST_Union(geom) AS g FROM districts WHERE city_id = $1 AND ($2::text IS NULL OR code = $2)),
e AS (SELECT min(epoch) AS first, max(epoch) AS last FROM built_up WHERE city_id = $1),
areas AS (
    SELECT b.epoch, ST_Area(ST_Intersection(ST_Union(b.geom), (SELECT g FROM scope))::geography) AS m2
    FROM built_up b, e WHERE b.city_id = $1 AND b.epoch IN (e.first, e.last) GROUP BY b.epoch)
SELECT e.first, e.last,
       (SELECT m2 FROM areas WHERE epoch = e.first)::double precision AS first_m2,
       (SELECT m2 FROM areas WHERE epoch = e.last)::double precision AS last_m2,
       (SELECT population FROM city_population WHERE city_id = $1 AND year = e.first)::double precision AS first_population,
       (SELECT population FROM city_population WHERE city_id = $1 AND year = e.last)::double precision AS last_population,
       (SELECT string_agg(year::text, ', ' ORDER BY year) FROM city_population WHERE city_id = $1) AS population_years
FROM e;
