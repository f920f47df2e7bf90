-- The strategic action plans of a city ($1 slug): its own (district null) and each district's, prioritised capital
-- investments in order, each where it is planned (point, line or polygon) when it was drawn; null when the city does not
-- exist.
SELECT json_build_object('city', ci.slug, 'items', coalesce((
    SELECT json_agg(json_build_object('id', s.id, 'district', s.district_code, 'priority', s.priority, 'title', s.title,
                                      'need', s.need, 'estimatedCost', s.estimated_cost, 'status', s.status,
                                      'geometry', ST_AsGeoJSON(s.geom, 7)::json)
                    ORDER BY s.district_code NULLS FIRST, s.priority, s.id)
    FROM strategic_plan_items s WHERE s.city_id = ci.id), '[]'))::text
FROM cities ci WHERE ci.slug = $1;
