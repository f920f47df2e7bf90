-- Data gaps behind SDG 11.1.1 ($1 city id, $2 district code or NULL).
SELECT (SELECT count(*) FROM settlements WHERE city_id = $1 AND population IS NOT NULL) AS with_population,
       (SELECT count(*) FROM settlements WHERE city_id = $1 AND population IS NULL) AS without_population,
       (SELECT count(*) FROM districts WHERE city_id = $1 AND ($2::text IS NULL OR code = $2) AND population IS NULL) AS districts_without_population;
