-- Every version of property $1 in order; who changed it and the source documents only for staff of its district ($2:
-- the reader's districts, {slug}:{code} or *; null for everyone else). A version a registry transaction wrote is named
-- "{kind} (transaction N): {the lodger's reason}"; that reason belongs to the staff-only transaction and speaks of its
-- parties (e.g. "death of …"), so everyone else reads only "{kind} (transaction N)".
SELECT json_build_object(
           'id', $1::bigint,
           'code', max(v.code),
           'lineage', (SELECT coalesce(json_agg(json_build_object(
                               'operation', l.operation, 'at', l.at, 'parentId', l.parent_id, 'childId', l.child_id,
                               'changedBy', CASE WHEN s.staff THEN l.changed_by END) ORDER BY l.at, l.parent_id, l.child_id), '[]')
                       FROM property_lineage l WHERE l.parent_id = $1 OR l.child_id = $1),
           'versions', json_agg(json_build_object(
               'version', v.version, 'validFrom', v.valid_from, 'validTo', v.valid_to, 'status', v.status,
               'changedBy', CASE WHEN s.staff THEN v.changed_by END,
               'reason', CASE WHEN s.staff THEN v.reason ELSE regexp_replace(v.reason, '^([a-z-]+ \(transaction [0-9]+\)): .*$', '\1') END,
               'sources', CASE WHEN s.staff THEN v.sources END,
               'areaM2', round(ST_Area(v.geom::geography)::numeric, 2), 'geometry', ST_AsGeoJSON(v.geom, 9)::json)
               ORDER BY v.version))::text
FROM property_versions v
JOIN properties p ON p.city_id = v.city_id AND p.id = v.property_id
JOIN cities c ON c.id = v.city_id
CROSS JOIN LATERAL (SELECT coalesce('*' = ANY ($2::text[]) OR c.slug || ':' || p.district_code = ANY ($2::text[]), false) AS staff) s
WHERE v.property_id = $1
GROUP BY s.staff
HAVING count(*) > 0;
