-- A city's settlement figures ($1: city slug): count, area, people in settlements and their share of the city's
-- population (the sum of its districts' populations), and the same per district, settlement population apportioned
-- to districts by area share. NULL populations count as unknown, not zero.
WITH c AS (SELECT id, slug, name FROM cities WHERE slug = $1),
     s AS (SELECT s.id, s.geom, s.population, s.households, ST_Area(s.geom::geography) AS area_m2
           FROM settlements s JOIN c ON c.id = s.city_id),
     d AS (SELECT d.code, d.name, d.population, d.geom FROM districts d JOIN c ON c.id = d.city_id),
     parts AS (
        SELECT d.code, s.id, ST_Area(ST_Intersection(d.geom, s.geom)::geography) AS a, s.area_m2, s.population
        FROM d JOIN s ON d.geom && s.geom AND ST_Intersects(d.geom, s.geom))
SELECT json_build_object(
    'city', c.slug,
    'name', c.name,
    'settlements', (SELECT count(*) FROM s),
    'withPopulation', (SELECT count(*) FROM s WHERE population IS NOT NULL),
    'areaM2', (SELECT round(coalesce(sum(area_m2), 0)::numeric, 1) FROM s),
    'population', (SELECT sum(population) FROM s),
    'households', (SELECT sum(households) FROM s),
    'cityPopulation', (SELECT sum(population) FROM d),
    'cityPopulationSource', 'sum of the districts'' populations',
    'shareOfCityPopulation', (SELECT round((SELECT sum(population) FROM s)::numeric / nullif(sum(population), 0), 4) FROM d),
    'districts', coalesce((
        SELECT json_agg(json_build_object(
                   'code', d.code, 'name', d.name, 'population', d.population,
                   'settlements', x.n, 'areaM2', round(x.a::numeric, 1),
                   'settlementPopulation', round(x.p),
                   'shareOfDistrictPopulation', round((x.p / nullif(d.population, 0))::numeric, 4))
                   ORDER BY d.code)
        FROM d
        JOIN LATERAL (SELECT count(*) AS n, sum(p.a) AS a, sum(p.population * p.a / nullif(p.area_m2, 0)) AS p
                      FROM parts p WHERE p.code = d.code AND p.a > 0.01) x ON x.n > 0), '[]'::json)
)::text
FROM c;
