-- Every version of property $1 in order; who changed it and the source documents only for staff of its district ($2:
-- the reader's districts, {slug}:{code} or *; null for everyone else). A version's reason is free text staff wrote
-- (an edit's, a retirement's, a split's, or a transaction lodger's "{kind} (transaction N): {why}"), which may speak of
-- the parties ("death of …", "fence moved for …"): everyone else reads what happened instead: "created", "updated",
-- "verified", "registered", "retired", the system's own "registered: display period N ended unchallenged", or
-- "{kind} (transaction N)".
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
               'reason', CASE WHEN s.staff THEN v.reason
                              WHEN v.reason ~ '^[a-z-]+ \(transaction [0-9]+\)' THEN substring(v.reason FROM '^[a-z-]+ \(transaction [0-9]+\)')
                              WHEN v.reason ~ '^registered: display period [0-9]+ ended unchallenged$' THEN v.reason
                              WHEN v.version = 1 THEN 'created'
                              WHEN v.status IS DISTINCT FROM v.previous_status THEN v.status
                              ELSE 'updated' END,
               'sources', CASE WHEN s.staff THEN v.sources END,
               'areaM2', round(ST_Area(v.geom::geography)::numeric, 2), 'geometry', ST_AsGeoJSON(v.geom, 9)::json)
               ORDER BY v.version))::text
FROM (SELECT pv.*, lag(pv.status) OVER (ORDER BY pv.version) AS previous_status
      FROM property_versions pv WHERE pv.property_id = $1) v
JOIN properties p ON p.city_id = v.city_id AND p.id = v.property_id
JOIN cities c ON c.id = v.city_id
CROSS JOIN LATERAL (SELECT coalesce('*' = ANY ($2::text[]) OR c.slug || ':' || p.district_code = ANY ($2::text[]), false) AS staff) s
WHERE v.property_id = $1
GROUP BY s.staff
HAVING count(*) > 0;
