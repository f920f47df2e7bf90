-- Every settlement of a city in one set-wise statement ($1: city slug): metrics in metres and people, properties
-- inside by status (a parcel counts where its point on surface lies), nearest transit stop and nearest facility of
-- each kind (straight-line, by the GiST index: KNN then geodesic distance), the shares of the settlement within 500 m /
-- 1 km of a stop and of each facility kind (from the city's access coverage, migration 0076), and what the registry
-- says (certificates, service-charge collection; migration 0077). One JSON array, one row per settlement.
WITH c AS (SELECT id FROM cities WHERE slug = $1),
     s AS (SELECT s.*, ST_Area(s.geom::geography) AS area_m2, ST_Perimeter(s.geom::geography) AS perimeter_m
           FROM settlements s JOIN c ON c.id = s.city_id),
     kinds AS (SELECT DISTINCT f.kind FROM facilities f JOIN c ON c.id = f.city_id),
     props AS (SELECT s.id, count(*) AS total, count(*) FILTER (WHERE p.status = 'registered') AS registered,
                      count(*) FILTER (WHERE p.status <> 'retired') AS active
               FROM s JOIN properties p ON p.city_id = s.city_id AND p.geom && s.geom AND ST_Intersects(ST_PointOnSurface(p.geom), s.geom)
               GROUP BY s.id)
SELECT coalesce(json_agg(json_build_object(
    'id', s.id, 'code', s.code, 'name', s.name, 'surveyRound', s.survey_round, 'slumClassification', s.slum_class,
    'population', s.population, 'households', s.households,
    'areaM2', round(s.area_m2::numeric, 1),
    'perimeterM', round(s.perimeter_m::numeric, 1),
    'compactness', round((4 * pi() * s.area_m2 / nullif(s.perimeter_m ^ 2, 0))::numeric, 4),
    'populationPerKm2', round((s.population / nullif(s.area_m2 / 1e6, 0))::numeric, 1),
    'householdsPerHa', round((s.households / nullif(s.area_m2 / 1e4, 0))::numeric, 2),
    'note', CASE WHEN s.population IS NULL THEN 'No population is recorded for this settlement: densities are not computed.' END,
    'properties', coalesce(p.total, 0),
    'registrationCoverage', round(p.registered::numeric / nullif(p.active, 0), 4),
    'nearestStopM', (SELECT round(ST_Distance(t.geom::geography, s.geom::geography)::numeric, 1) FROM transit_stops t
                     WHERE t.city_id = s.city_id ORDER BY t.geom <-> s.geom LIMIT 1),
    'nearestFacilityM', (SELECT json_object_agg(k.kind, (
                             SELECT round(ST_Distance(f.geom::geography, s.geom::geography)::numeric, 1) FROM facilities f
                             WHERE f.city_id = s.city_id AND f.kind = k.kind ORDER BY f.geom <-> s.geom LIMIT 1)) FROM kinds k),
    'accessCoverage', json_build_object(
        'transit', json_build_object(
            'within500m', round(um_coverage_share(s.city_id, 'transit', 500, s.geom)::numeric, 4),
            'within1km', round(um_coverage_share(s.city_id, 'transit', 1000, s.geom)::numeric, 4)),
        'facilities', (SELECT json_object_agg(k.kind, json_build_object(
            'within500m', round(um_coverage_share(s.city_id, 'facility:' || k.kind, 500, s.geom)::numeric, 4),
            'within1km', round(um_coverage_share(s.city_id, 'facility:' || k.kind, 1000, s.geom)::numeric, 4))) FROM kinds k)),
    'registry', um_settlement_registry_figures(s.city_id, s.geom)
) ORDER BY s.id), '[]'::json)::text
FROM s LEFT JOIN props p ON p.id = s.id
HAVING EXISTS (SELECT 1 FROM c);
