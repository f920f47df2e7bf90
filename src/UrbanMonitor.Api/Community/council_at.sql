-- Council $1 as it was at $2, from its history (community_versions): its own fields, composition counts and area, no
-- members, plans or projects; the source file's attributes only for staff ($3); no row when it did not exist yet.
SELECT json_build_object(
    'id', $1::bigint, 'asOf', $2::timestamptz, 'code', s ->> 'code', 'name', s ->> 'name', 'district', s ->> 'district_code',
    'gozar', (SELECT g.code FROM community_gozars g WHERE g.id = (s ->> 'gozar_id')::bigint),
    'electedOn', s -> 'elected_on', 'status', s ->> 'status', 'households', s -> 'households',
    'areaM2', round(ST_Area(ST_GeomFromGeoJSON(s ->> 'geom')::geography)::numeric, 1),
    'composition', json_build_object('members', s -> 'members', 'women', s -> 'women', 'displaced', s -> 'displaced',
                                     'ok', s ->> 'composition' = 'ok',
                                     'violations', coalesce(to_json(community_composition_violations((s ->> 'women')::int, (s ->> 'displaced')::int)), '[]'::json)),
    'attributes', CASE WHEN $3 THEN s -> 'attributes' END,
    'geometry', s -> 'geom'
)::text
FROM (SELECT v.after AS s FROM community_versions('councils', $1) v
      WHERE v.at <= $2 AND v.after IS NOT NULL ORDER BY v.at DESC, v.entry DESC NULLS LAST LIMIT 1) x;
