-- One council as JSON ($1 id). Members' names, sex and displacement are personal data: only when $2 (staff) is true;
-- everyone sees the counts and the composition rules it breaks.
SELECT json_build_object(
    'id', c.id, 'code', c.code, 'city', ci.slug, 'name', c.name, 'district', c.district_code,
    'gozar', g.code, 'electedOn', c.elected_on, 'status', c.status, 'households', c.households,
    'areaM2', round(ST_Area(c.geom::geography)::numeric, 1),
    'composition', json_build_object('members', c.members, 'women', c.women, 'displaced', c.displaced,
                                     'ok', c.composition = 'ok',
                                     'violations', coalesce(to_json(community_composition_violations(c.women, c.displaced)), '[]'::json)),
    'members', CASE WHEN $2 THEN (
        SELECT coalesce(json_agg(json_build_object('id', m.id, 'name', m.name, 'sex', m.sex, 'displaced', m.displaced,
                                                    'role', m.role, 'joinedOn', m.joined_on, 'leftOn', m.left_on) ORDER BY m.id), '[]')
        FROM council_members m WHERE m.city_id = c.city_id AND m.council_id = c.id) END,
    'plan', (SELECT json_build_object('id', p.id, 'adoptedOn', p.adopted_on, 'needs', p.needs, 'notes', p.notes)
             FROM community_action_plans p WHERE p.city_id = c.city_id AND p.council_id = c.id
             ORDER BY p.adopted_on DESC, p.id DESC LIMIT 1),
    'projects', (SELECT coalesce(json_agg(json_build_object('id', p.id, 'code', p.code, 'name', p.name, 'type', p.type,
                                                             'status', p.status, 'contractAmount', p.contract_amount) ORDER BY p.id), '[]')
                 FROM projects p WHERE p.city_id = c.city_id AND p.council_id = c.id),
    'geometry', ST_AsGeoJSON(c.geom, 7)::json
)::text
FROM councils c
JOIN cities ci ON ci.id = c.city_id
LEFT JOIN community_gozars g ON g.city_id = c.city_id AND g.id = c.gozar_id
WHERE c.id = $1;
