-- Time series inputs ($1 city id, $2 district code or NULL): each built-up epoch's area (m², spheroid) inside the
-- scope, and the city's population that year when known.
WITH scope AS (SELECT ST_Union(geom) AS g FROM districts WHERE city_id = $1 AND ($2::text IS NULL OR code = $2))
SELECT b.epoch, ST_Area(ST_Intersection(ST_Union(b.geom), (SELECT g FROM scope))::geography)::double precision AS m2,
       (SELECT population FROM city_population WHERE city_id = $1 AND year = b.epoch)::double precision AS population
FROM built_up b WHERE b.city_id = $1 GROUP BY b.epoch ORDER BY b.epoch;
