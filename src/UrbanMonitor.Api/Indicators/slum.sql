-- SDG 11.1.1 inputs ($1 city id, $2 district code or NULL). City: settlement population / sum of district
-- populations. District: settlement population apportioned to the district by area / the district's population.
SELECT
    CASE WHEN $2::text IS NULL
         THEN (SELECT sum(population) FROM settlements WHERE city_id = $1)
         ELSE (SELECT sum(s.population * ST_Area(ST_Intersection(s.geom, d.geom)::geography) / nullif(ST_Area(s.geom::geography), 0))
               FROM settlements s JOIN districts d ON d.city_id = s.city_id AND d.code = $2
               WHERE s.city_id = $1 AND s.geom && d.geom AND ST_Intersects(s.geom, d.geom)) END::double precision AS settlement_population,
    (SELECT sum(population) FROM districts WHERE city_id = $1 AND ($2::text IS NULL OR code = $2))::double precision AS urban_population,
    (SELECT count(*) FROM settlements WHERE city_id = $1 AND population IS NOT NULL) AS with_population,
    (SELECT count(*) FROM settlements WHERE city_id = $1 AND population IS NULL) AS without_population,
    (SELECT count(*) FROM districts WHERE city_id = $1 AND ($2::text IS NULL OR code = $2) AND population IS NULL) AS districts_without_population;
