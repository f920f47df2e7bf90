-- Density inputs per scope ($1 city id, $2 district code or NULL, $5 every: the city and each district at once; scope
-- '' is the city, the union of its districts): the districts' population and area (km², spheroid), and the latest
-- built-up epoch's area inside them.
WITH scopes AS (
    SELECT '' AS scope, ST_Union(geom) AS g, sum(population)::double precision AS population,
           count(*) FILTER (WHERE population IS NULL) AS districts_without_population
    FROM districts WHERE $2::text IS NULL AND city_id = $1
    UNION ALL
    SELECT code, ST_Union(geom), sum(population)::double precision, count(*) FILTER (WHERE population IS NULL)
    FROM districts WHERE city_id = $1 AND ($5 OR code = $2) GROUP BY code
),
latest AS (SELECT max(epoch) AS epoch FROM built_up WHERE city_id = $1),
built AS MATERIALIZED (SELECT ST_Union(b.geom) AS g FROM built_up b, latest WHERE b.city_id = $1 AND b.epoch = latest.epoch)
SELECT s.scope, s.population, s.districts_without_population,
       (ST_Area(s.g::geography) / 1e6)::double precision AS area_km2,
       latest.epoch AS built_up_epoch,
       (ST_Area(ST_Intersection(built.g, s.g)::geography) / 1e6)::double precision AS built_up_km2
FROM scopes s, latest, built
ORDER BY s.scope;
