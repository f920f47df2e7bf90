-- One settlement's analysis as JSON ($1: settlement id; $2, $3: survey rounds to compare, NULL = the round before the
-- current one and the current one). Areas and lengths in metres on the spheroid (geography);
-- access by straight-line distance, the 500 m / 1 km shares from the city's access coverage (migration 0076).
-- Population inside an area share assumes people are spread evenly over the settlement (areal interpolation).
WITH s AS (
    SELECT s.*, c.slug AS city, s.geom::geography AS g,
           ST_Area(s.geom::geography) AS area_m2, ST_Perimeter(s.geom::geography) AS perimeter_m
    FROM settlements s JOIN cities c ON c.id = s.city_id
    WHERE s.id = $1
)
SELECT json_build_object(
    'id', s.id,
    'code', s.code,
    'name', s.name,
    'city', s.city,
    'source', s.source,
    'surveyedOn', s.surveyed_on,
    'population', s.population,
    'households', s.households,
    'surveyRound', s.survey_round,
    'upgradingStatus', s.upgrading_status,
    'deprivations', json_build_object(
        'definition', 'share of households lacking each (UN-Habitat, SDG 11.1.1)',
        'water', s.lacks_water, 'sanitation', s.lacks_sanitation, 'livingArea', s.lacks_living_area,
        'durableHousing', s.lacks_durable_housing, 'tenureSecurity', s.lacks_tenure_security),
    'slumClassification', s.slum_class,
    'slumClassificationRule', 'slum when at least half the households lack one of the five (the largest share ≥ 0.5); not-slum when all five are known and below 0.5; else unknown',
    'rounds', (SELECT json_agg(json_build_object('round', r.survey_round, 'surveyedOn', r.surveyed_on, 'population', r.population,
                   'areaM2', round(ST_Area(r.geom::geography)::numeric, 1)) ORDER BY r.survey_round)
               FROM settlement_rounds r WHERE r.city_id = s.city_id AND r.code = s.code),
    'change', (
        SELECT CASE WHEN a.survey_round IS NULL OR b.survey_round IS NULL THEN NULL ELSE json_build_object(
            'from', a.survey_round, 'to', b.survey_round,
            'areaFromM2', round(x.a1::numeric, 1), 'areaToM2', round(x.a2::numeric, 1),
            'areaAddedM2', round(ST_Area(ST_Difference(b.geom, a.geom)::geography)::numeric, 1),
            'areaLostM2', round(ST_Area(ST_Difference(a.geom, b.geom)::geography)::numeric, 1),
            'years', round(x.years::numeric, 2),
            'yearlyGrowthRate', CASE WHEN x.years > 0 AND x.a1 > 0 THEN round((power(x.a2 / x.a1, 1 / x.years) - 1)::numeric, 4) END,
            'yearlyGrowthRateMethod', 'compound: (area to / area from)^(1 / years) − 1; years between the survey dates, else between the rounds read as years') END
        FROM (SELECT * FROM settlement_rounds r WHERE r.city_id = s.city_id AND r.code = s.code
                AND ($2::text IS NULL AND r.survey_round < s.survey_round OR r.survey_round = $2::text)
              ORDER BY r.survey_round DESC LIMIT 1) a
        FULL JOIN (SELECT * FROM settlement_rounds r WHERE r.city_id = s.city_id AND r.code = s.code
                AND r.survey_round = coalesce($3::text, s.survey_round)) b ON true
        CROSS JOIN LATERAL (SELECT ST_Area(a.geom::geography) AS a1, ST_Area(b.geom::geography) AS a2,
            coalesce((b.surveyed_on - a.surveyed_on) / 365.25,
                     CASE WHEN a.survey_round ~ '^[0-9]{4}$' AND b.survey_round ~ '^[0-9]{4}$' THEN b.survey_round::int - a.survey_round::int END) AS years) x),
    'metrics', json_build_object(
        'areaM2', round(s.area_m2::numeric, 1),
        'areaHa', round((s.area_m2 / 10000)::numeric, 4),
        'perimeterM', round(s.perimeter_m::numeric, 1),
        'compactness', round((4 * pi() * s.area_m2 / nullif(s.perimeter_m ^ 2, 0))::numeric, 4),
        'compactnessMethod', 'Polsby-Popper: 4·π·area / perimeter² (1 = a circle)',
        'populationPerKm2', CASE WHEN s.population IS NULL THEN NULL ELSE round((s.population / (s.area_m2 / 1e6))::numeric, 1) END,
        'householdsPerHa', CASE WHEN s.households IS NULL THEN NULL ELSE round((s.households / (s.area_m2 / 1e4))::numeric, 2) END,
        'note', CASE WHEN s.population IS NULL THEN 'No population is recorded for this settlement: densities are not computed.' END),
    'districts', coalesce((
        SELECT json_agg(json_build_object('code', d.code, 'name', d.name,
                   'areaM2', round(x.a::numeric, 1), 'shareOfSettlement', round((x.a / nullif(s.area_m2, 0))::numeric, 4))
                   ORDER BY x.a DESC)
        FROM districts d
        CROSS JOIN LATERAL (SELECT ST_Area(ST_Intersection(d.geom, s.geom)::geography) AS a) x
        WHERE d.city_id = s.city_id AND d.geom && s.geom AND ST_Intersects(d.geom, s.geom) AND x.a > 0.01), '[]'::json),
    'overlaps', coalesce((
        SELECT json_agg(json_build_object('id', o.id, 'code', o.code, 'name', o.name, 'areaM2', round(x.a::numeric, 1)) ORDER BY x.a DESC)
        FROM settlements o
        CROSS JOIN LATERAL (SELECT ST_Area(ST_Intersection(o.geom, s.geom)::geography) AS a) x
        WHERE o.city_id = s.city_id AND o.id <> s.id AND o.geom && s.geom AND ST_Intersects(o.geom, s.geom) AND x.a > 0.01), '[]'::json),
    'properties', (
        SELECT json_build_object(
            'total', coalesce(sum(n), 0),
            'byStatus', coalesce(json_object_agg(st, n) FILTER (WHERE st IS NOT NULL), '{}'::json),
            'registrationCoverage', round((sum(n) FILTER (WHERE st = 'registered'))::numeric / nullif(sum(n) FILTER (WHERE st <> 'retired'), 0), 4),
            'byTenure', (SELECT coalesce(json_object_agg(k, n), '{}'::json) FROM (
                SELECT coalesce(r.kind, 'no-right-recorded') AS k, count(DISTINCT p.id) AS n
                FROM properties p
                LEFT JOIN rights r ON r.city_id = p.city_id AND r.property_id = p.id AND r.valid_to IS NULL
                WHERE p.city_id = s.city_id AND p.status <> 'retired' AND p.geom && s.geom AND ST_Intersects(ST_PointOnSurface(p.geom), s.geom)
                GROUP BY 1) t),
            'registry', um_settlement_registry_figures(s.city_id, s.geom))
        FROM (SELECT p.status AS st, count(*) AS n
              FROM properties p
              WHERE p.city_id = s.city_id AND p.geom && s.geom AND ST_Intersects(ST_PointOnSurface(p.geom), s.geom)
              GROUP BY p.status) q),
    'exposure', coalesce((
        SELECT json_agg(json_build_object('hazard', h.hazard, 'level', h.level,
                   'areaM2', round(x.a::numeric, 1), 'shareOfArea', round((x.a / nullif(s.area_m2, 0))::numeric, 4),
                   'populationExposed', CASE WHEN s.population IS NULL THEN NULL ELSE round(s.population * x.a / nullif(s.area_m2, 0)) END)
                   ORDER BY h.hazard, h.level)
        FROM (SELECT hazard, level, ST_Union(geom) AS geom FROM hazard_zones
              WHERE city_id = s.city_id AND geom && s.geom GROUP BY hazard, level) h
        CROSS JOIN LATERAL (SELECT ST_Area(ST_Intersection(h.geom, s.geom)::geography) AS a) x
        WHERE x.a > 0.01), '[]'::json),
    'access', json_build_object(
        'method', 'straight-line distance from the settlement boundary (0 when inside); shares of the settlement area within 500 m and 1 km (straight line) of a stop or of a facility of each kind, measured in the city''s UTM zone; null when the city has no such layer',
        'transit', (
            SELECT json_build_object(
                'nearestStopM', (SELECT round(ST_Distance(t.geom::geography, s.g)::numeric, 1) FROM transit_stops t
                                 WHERE t.city_id = s.city_id ORDER BY t.geom <-> s.geom LIMIT 1),
                'nearestHighCapacityStopM', (SELECT round(ST_Distance(t.geom::geography, s.g)::numeric, 1) FROM transit_stops t
                                 WHERE t.city_id = s.city_id AND t.capacity = 'high' ORDER BY t.geom <-> s.geom LIMIT 1),
                'shareWithin500m', round(um_coverage_share(s.city_id, 'transit', 500, s.geom)::numeric, 4),
                'shareWithin1km', round(um_coverage_share(s.city_id, 'transit', 1000, s.geom)::numeric, 4))),
        'facilities', coalesce((
            SELECT json_object_agg(k.kind, (
                SELECT round(ST_Distance(f.geom::geography, s.g)::numeric, 1) FROM facilities f
                WHERE f.city_id = s.city_id AND f.kind = k.kind ORDER BY f.geom <-> s.geom LIMIT 1))
            FROM (SELECT DISTINCT kind FROM facilities WHERE city_id = s.city_id) k), '{}'::json),
        'facilityCoverage', coalesce((
            SELECT json_object_agg(k.kind, json_build_object(
                'shareWithin500m', round(um_coverage_share(s.city_id, 'facility:' || k.kind, 500, s.geom)::numeric, 4),
                'shareWithin1km', round(um_coverage_share(s.city_id, 'facility:' || k.kind, 1000, s.geom)::numeric, 4)))
            FROM (SELECT DISTINCT kind FROM facilities WHERE city_id = s.city_id) k), '{}'::json)),
    'links', json_build_array(
        json_build_object('rel', 'self', 'type', 'application/json', 'href', '/api/settlements/' || s.id),
        json_build_object('rel', 'alternate', 'type', 'text/html', 'href', '/api/settlements/' || s.id || '/report.html'),
        json_build_object('rel', 'preview', 'type', 'image/png', 'href', '/api/settlements/' || s.id || '/map.png'),
        json_build_object('rel', 'item', 'type', 'application/geo+json', 'href', '/collections/settlements/items/' || s.id))
)::text
FROM s;
