-- SDG 11.1.1, one row per contributing feature ($1 city id, $2 district code or NULL, $4 as-of instant or NULL = now):
-- settlements (term 'settlementPopulation') with their census population, apportioned by area to the district when one
-- is named, and districts (term 'urbanPopulation') with theirs. Each term's rows add up to its total. An earlier
-- instant reads the settlements layer as it was then from settlement_rounds (um_settlements_at); districts keep
-- no history, so their current population is used.
WITH s AS (
    SELECT id, code, name, population, geom FROM settlements WHERE $4::timestamptz IS NULL AND city_id = $1
    UNION ALL
    SELECT id, code, name, population, geom FROM um_settlements_at($1, $4) WHERE $4::timestamptz IS NOT NULL
)
SELECT 'settlementPopulation' AS term, s.id, s.code, s.name,
       CASE WHEN $2::text IS NULL THEN s.population::double precision
            ELSE s.population * ST_Area(ST_Intersection(s.geom, d.geom)::geography) / nullif(ST_Area(s.geom::geography), 0) END AS value
FROM s
LEFT JOIN districts d ON d.city_id = $1 AND d.code = $2
WHERE s.population IS NOT NULL
  AND ($2::text IS NULL OR (s.geom && d.geom AND ST_Intersects(s.geom, d.geom)))
UNION ALL
SELECT 'urbanPopulation', d.id, d.code, d.name, d.population::double precision
FROM districts d
WHERE d.city_id = $1 AND ($2::text IS NULL OR d.code = $2) AND d.population IS NOT NULL
ORDER BY 1, 3;
