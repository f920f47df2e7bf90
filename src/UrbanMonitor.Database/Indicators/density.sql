-- Density inputs ($1 city id, $2 district code or NULL): the districts' population and area (km², spheroid), and the
-- latest built-up epoch's area inside them.
WITH scope AS (SELECT ST_Union(geom) AS g, sum(population)::double precision AS population,
                      count(*) FILTER (WHERE population IS NULL) AS districts_without_population
               FROM districts WHERE city_id = $1 AND ($2::text IS NULL OR code = $2)),
latest AS (SELECT max(epoch) AS epoch FROM built_up WHERE city_id = $1)
SELECT scope.population, scope.districts_without_population,
       (ST_Area(scope.g::geography) / 1e6)::double precision AS area_km2,
       latest.epoch AS built_up_epoch,
       (SELECT ST_Area(ST_Intersection(ST_Union(b.geom), scope.g)::geography) / 1e6 FROM built_up b
        WHERE b.city_id = $1 AND b.epoch = latest.epoch)::double precision AS built_up_km2
FROM scope, latest;
