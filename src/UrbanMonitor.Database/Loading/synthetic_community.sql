-- The synthetic city's community-led upgrading (issue 13), generated like the rest of it ($1 city id); returns the number of councils: a council over
-- each of the first 12 settlements (by code), grouped three by three into Gozars; two members each, a woman
-- representing displaced people and a man, except every third council, which has two men and so breaks the
-- composition rule; an action plan; and two projects per council (a drain across the area as a line, street lights as a point) whose
-- status walks through the cycle. Deterministic: codes and amounts come from the settlement's rank.
WITH s AS (
    SELECT id, code, geom, row_number() OVER (ORDER BY code) AS n
    FROM settlements WHERE city_id = $1 ORDER BY code LIMIT 12
), g AS (
    INSERT INTO community_gozars (city_id, code, name)
    SELECT DISTINCT $1, 'SYN-G' || ((n - 1) / 3 + 1), 'Gozar ' || ((n - 1) / 3 + 1) FROM s
    RETURNING id, code
), c AS (
    INSERT INTO councils (city_id, code, name, district_code, gozar_id, elected_on, households, geom)
    SELECT $1, 'SYN-CDC-' || lpad(s.n::text, 2, '0'), 'CDC ' || s.code,
           (SELECT d.code FROM districts d WHERE d.city_id = $1 AND ST_Intersects(d.geom, ST_PointOnSurface(s.geom)) ORDER BY d.code LIMIT 1),
           g.id, date '2025-01-01' + (s.n::int * 7), 100 + 10 * s.n, s.geom
    FROM s JOIN g ON g.code = 'SYN-G' || ((s.n - 1) / 3 + 1)
    RETURNING city_id, id, right(code, 2)::int AS n, elected_on, households, geom, code
), members AS (
    INSERT INTO council_members (city_id, council_id, name, sex, displaced, role)
    SELECT c.city_id, c.id, m.name || ' ' || c.n, m.sex, m.displaced, m.role
    FROM c, LATERAL (VALUES ('Member A', CASE WHEN c.n % 3 = 0 THEN 'male' ELSE 'female' END, true, 'chair'),
                            ('Member B', 'male', false, 'treasurer')) m (name, sex, displaced, role)
    RETURNING 1
), plans AS (
    INSERT INTO community_action_plans (city_id, council_id, adopted_on, needs)
    SELECT c.city_id, c.id, c.elected_on + 30,
           CASE c.n % 3 WHEN 0 THEN ARRAY['drainage', 'lighting', 'roads']
                        WHEN 1 THEN ARRAY['water', 'drainage', 'health']
                        ELSE ARRAY['lighting', 'security', 'open-space'] END
    FROM c
    RETURNING 1
), projects AS (
    INSERT INTO projects (city_id, council_id, code, name, type, executing_party, contractor, contract_amount, status,
                          beneficiaries, person_days, women_person_days, geom)
    SELECT c.city_id, c.id, c.code || '-P' || p.k, p.name, p.type,
           CASE WHEN p.k = 2 AND c.n % 2 = 0 THEN 'third-party' ELSE 'council' END,
           CASE WHEN p.k = 2 AND c.n % 2 = 0 THEN 'Synthetic Works Ltd' END,
           p.amount * c.n,
           (ARRAY['planned', 'contracted', 'in-progress', 'completed', 'maintained'])[(c.n + p.k) % 5 + 1],
           c.households * 5, 20 * c.n, 5 * c.n,
           CASE p.k WHEN 1 THEN ST_SetSRID(ST_MakeLine(ST_MakePoint(ST_XMin(c.geom), ST_YMin(c.geom)), ST_MakePoint(ST_XMax(c.geom), ST_YMax(c.geom))), 4326)
                    ELSE ST_PointOnSurface(c.geom) END
    FROM c, LATERAL (VALUES (1, 'Drain', 'drainage', 10000), (2, 'Street lights', 'lighting', 2500)) p (k, name, type, amount)
    RETURNING 1
), sources AS (
    INSERT INTO layer_sources (city_id, layer, source, licence)
    SELECT $1, l, 'UrbanMonitor synthetic city generator: community councils and projects over the first settlements', 'CC0 1.0 (generated data)'
    FROM unnest(ARRAY['councils', 'projects']) l
    ON CONFLICT (city_id, layer) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM c)
       + 0 * ((SELECT count(*) FROM members) + (SELECT count(*) FROM plans) + (SELECT count(*) FROM projects) + (SELECT count(*) FROM sources));
