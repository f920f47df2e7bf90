-- Data gaps behind SDG 11.1.1 ($1 city id, $2 district code or NULL, $4 as-of instant or NULL = now).
WITH s AS (
    SELECT population FROM settlements WHERE $4::timestamptz IS NULL AND city_id = $1
    UNION ALL
    SELECT population FROM um_settlements_at($1, $4) WHERE $4::timestamptz IS NOT NULL
)
SELECT (SELECT count(*) FROM s WHERE population IS NOT NULL) AS with_population,
       (SELECT count(*) FROM s WHERE population IS NULL) AS without_population,
       (SELECT count(*) FROM districts WHERE city_id = $1 AND ($2::text IS NULL OR code = $2) AND population IS NULL) AS districts_without_population;
