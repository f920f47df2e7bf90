-- Data gaps behind SDG 11.1.1 per scope ($1 city id, $2 district code or NULL, $4 as-of instant or NULL = now, $5
-- every: the city and each district): the city's settlements with and without a population, and the scope's districts
-- without one.
WITH s AS (
    SELECT population FROM settlements WHERE $4::timestamptz IS NULL AND city_id = $1
    UNION ALL
    SELECT population FROM um_settlements_at($1, $4) WHERE $4::timestamptz IS NOT NULL
), settled AS (
    SELECT count(*) FILTER (WHERE population IS NOT NULL) AS with_population, count(*) FILTER (WHERE population IS NULL) AS without_population FROM s
), scopes AS (
    SELECT '' AS scope, (SELECT count(*) FROM districts WHERE city_id = $1 AND population IS NULL) AS districts_without_population
    WHERE $2::text IS NULL
    UNION ALL
    SELECT code, count(*) FILTER (WHERE population IS NULL) FROM districts WHERE city_id = $1 AND ($5 OR code = $2) GROUP BY code
)
SELECT scopes.scope, settled.with_population, settled.without_population, scopes.districts_without_population
FROM scopes, settled;
