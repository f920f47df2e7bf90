-- The community programme of a city ($1 slug) in figures, all set-wise in PostGIS; null when the city does not exist.
-- Areas are geodesic (m²). A project belongs to the settlement and the district holding its point on surface.
-- Investment is the contract amount of projects past planning (contracted, in progress, completed, maintained).
-- A settlement's deprivation is the mean of its known shares of households lacking water, sanitation, living area,
-- durable housing and tenure security (0..1). needRank 1 = most deprived; investmentRank 1 = least invested per person;
-- gap = cume_dist(deprivation) − cume_dist(investment per person): high where needs are highest and investment lowest.
WITH city AS (SELECT id, slug FROM cities WHERE slug = $1),
active_councils AS (
    SELECT c.* FROM councils c, city WHERE c.city_id = city.id AND c.status = 'active'),
committed AS (
    SELECT p.*, ST_PointOnSurface(p.geom) AS at FROM projects p, city
    WHERE p.city_id = city.id AND p.status <> 'planned'),
s AS (
    SELECT s.id, s.code, s.name, s.population, s.geom, ST_Area(s.geom::geography) AS area_m2,
           (SELECT avg(v) FROM unnest(ARRAY[s.lacks_water, s.lacks_sanitation, s.lacks_living_area, s.lacks_durable_housing,
                                            s.lacks_tenure_security]) v) AS deprivation
    FROM settlements s, city WHERE s.city_id = city.id),
coverage AS (
    SELECT s.id,
           coalesce((SELECT ST_Area(ST_Intersection(s.geom, ST_Union(c.geom))::geography)
                     FROM active_councils c WHERE ST_Intersects(c.geom, s.geom)), 0) AS covered_m2
    FROM s),
s_invest AS (
    SELECT s.id, coalesce(sum(p.contract_amount), 0) AS investment, count(p.id) AS projects
    FROM s LEFT JOIN committed p ON ST_Intersects(s.geom, p.at)
    GROUP BY s.id),
s_rows AS (
    SELECT s.id, s.code, s.name, s.population, s.area_m2, cv.covered_m2, i.investment, i.projects, s.deprivation,
           CASE WHEN s.population > 0 THEN i.investment / s.population END AS per_person
    FROM s JOIN coverage cv ON cv.id = s.id JOIN s_invest i ON i.id = s.id),
s_ranked AS (
    SELECT r.*,
           CASE WHEN deprivation IS NOT NULL THEN rank() OVER (ORDER BY deprivation DESC NULLS LAST) END AS need_rank,
           CASE WHEN per_person IS NOT NULL THEN rank() OVER (ORDER BY per_person ASC NULLS LAST) END AS investment_rank,
           CASE WHEN deprivation IS NOT NULL AND per_person IS NOT NULL THEN
               cume_dist() OVER (PARTITION BY deprivation IS NOT NULL ORDER BY deprivation)
               - cume_dist() OVER (PARTITION BY per_person IS NOT NULL ORDER BY per_person) END AS gap
    FROM s_rows r),
d AS (
    SELECT d.code, d.name, d.population, d.geom FROM districts d, city WHERE d.city_id = city.id),
d_rows AS (
    SELECT d.code, d.name, d.population,
           coalesce(sum(p.contract_amount), 0) AS investment, count(p.id) AS projects,
           CASE WHEN d.population > 0 THEN coalesce(sum(p.contract_amount), 0) / d.population END AS per_person,
           (SELECT avg(r.deprivation) FROM s_rows r JOIN settlements x ON x.id = r.id
            WHERE r.deprivation IS NOT NULL AND ST_Intersects(d.geom, ST_PointOnSurface(x.geom))) AS deprivation
    FROM d LEFT JOIN committed p ON ST_Intersects(d.geom, p.at)
    GROUP BY d.code, d.name, d.population, d.geom),
all_projects AS (
    SELECT p.* FROM projects p, city WHERE p.city_id = city.id),
delivery AS (
    SELECT count(*) AS projects,
           count(*) FILTER (WHERE status <> 'planned') AS contracted,
           count(*) FILTER (WHERE status IN ('completed', 'maintained')) AS completed,
           count(*) FILTER (WHERE status = 'maintained') AS maintained,
           coalesce(sum(person_days), 0) AS person_days, coalesce(sum(women_person_days), 0) AS women_person_days,
           coalesce(sum(contract_amount) FILTER (WHERE status <> 'planned'), 0) AS investment,
           coalesce(sum(disbursed), 0) AS disbursed
    FROM all_projects)
SELECT json_build_object(
    'city', city.slug,
    'coverage', json_build_object(
        'settlementAreaM2', (SELECT round(sum(area_m2)::numeric, 1) FROM s_rows),
        'coveredM2', (SELECT round(sum(covered_m2)::numeric, 1) FROM s_rows),
        'share', (SELECT round((sum(covered_m2) / nullif(sum(area_m2), 0))::numeric, 6) FROM s_rows),
        'settlementsTouched', (SELECT count(*) FROM s_rows WHERE covered_m2 > 0),
        'settlements', (SELECT coalesce(json_agg(json_build_object('id', id, 'code', code, 'name', name,
                                         'areaM2', round(area_m2::numeric, 1), 'coveredM2', round(covered_m2::numeric, 1),
                                         'share', round((covered_m2 / nullif(area_m2, 0))::numeric, 6)) ORDER BY code), '[]')
                        FROM s_rows WHERE covered_m2 > 0)),
    'investment', json_build_object(
        'basis', 'contract amounts of projects past planning; per person = investment / census population',
        'settlements', (SELECT coalesce(json_agg(json_build_object('id', id, 'code', code, 'name', name, 'population', population,
                                         'projects', projects, 'investment', investment, 'perPerson', round(per_person, 4),
                                         'deprivation', round(deprivation, 4), 'needRank', need_rank, 'investmentRank', investment_rank,
                                         'gap', round(gap::numeric, 4))
                                         ORDER BY gap DESC NULLS LAST, deprivation DESC NULLS LAST, per_person NULLS LAST, code), '[]')
                        FROM s_ranked WHERE projects > 0 OR deprivation IS NOT NULL),
        'districts', (SELECT coalesce(json_agg(json_build_object('code', code, 'name', name, 'population', population,
                                        'projects', projects, 'investment', investment, 'perPerson', round(per_person, 4),
                                        'deprivation', round(deprivation, 4)) ORDER BY code), '[]')
                      FROM d_rows)),
    'delivery', (SELECT json_build_object('projects', projects, 'contracted', contracted, 'completed', completed, 'maintained', maintained,
                        'completionRate', round(completed::numeric / nullif(contracted, 0), 4),
                        'maintenanceRate', round(maintained::numeric / nullif(completed, 0), 4),
                        'investment', investment, 'disbursed', disbursed) FROM delivery),
    'jobs', (SELECT json_build_object('personDays', person_days, 'womenPersonDays', women_person_days,
                    'womenShare', round(women_person_days::numeric / nullif(person_days, 0), 4)) FROM delivery)
)::text
FROM city;
