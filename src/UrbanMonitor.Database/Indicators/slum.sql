-- SDG 11.1.1, one row per contributing feature and scope ($1 city id, $2 district code or NULL, $4 as-of instant or
-- NULL = now, $5 every: the city and each district at once, for the full recompute). Scope '' is the whole city: each
-- settlement with its census population (term 'settlementPopulation') and each district with its population (term
-- 'urbanPopulation'). A district's scope: the settlements that meet it, their population apportioned by the share of
-- their area inside it, and the district itself. Each term's rows of a scope add up to its total. An earlier instant
-- reads the settlements layer as it was then from settlement_rounds (um_settlements_at); districts keep no history,
-- so their current population is used.
WITH s AS (
    SELECT id, code, name, population, geom FROM settlements WHERE $4::timestamptz IS NULL AND city_id = $1
    UNION ALL
    SELECT id, code, name, population, geom FROM um_settlements_at($1, $4) WHERE $4::timestamptz IS NOT NULL
)
SELECT '' AS scope, 'settlementPopulation' AS term, s.id, s.code, s.name, s.population::double precision AS value
FROM s
WHERE $2::text IS NULL AND s.population IS NOT NULL
UNION ALL
SELECT d.code, 'settlementPopulation', s.id, s.code, s.name,
       s.population * ST_Area(ST_Intersection(s.geom, d.geom)::geography) / nullif(ST_Area(s.geom::geography), 0)
FROM s JOIN districts d ON d.city_id = $1 AND ($5 OR d.code = $2) AND s.geom && d.geom AND ST_Intersects(s.geom, d.geom)
WHERE s.population IS NOT NULL
UNION ALL
SELECT '', 'urbanPopulation', d.id, d.code, d.name, d.population::double precision
FROM districts d
WHERE $2::text IS NULL AND d.city_id = $1 AND d.population IS NOT NULL
UNION ALL
SELECT d.code, 'urbanPopulation', d.id, d.code, d.name, d.population::double precision
FROM districts d
WHERE d.city_id = $1 AND ($5 OR d.code = $2) AND d.population IS NOT NULL
ORDER BY 1, 2, 4;
