-- Every version of property $1 in order; who changed it only for authenticated staff ($2).
SELECT json_build_object(
           'id', $1::bigint,
           'code', max(v.code),
           'lineage', (SELECT coalesce(json_agg(json_build_object(
                               'operation', l.operation, 'at', l.at, 'parentId', l.parent_id, 'childId', l.child_id,
                               'changedBy', CASE WHEN $2::boolean THEN l.changed_by END) ORDER BY l.at, l.parent_id, l.child_id), '[]')
                       FROM property_lineage l WHERE l.parent_id = $1 OR l.child_id = $1),
           'versions', json_agg(json_build_object(
               'version', v.version, 'validFrom', v.valid_from, 'validTo', v.valid_to, 'status', v.status,
               'changedBy', CASE WHEN $2::boolean THEN v.changed_by END, 'reason', v.reason,
               'sources', CASE WHEN $2::boolean THEN v.sources END,
               'areaM2', round(ST_Area(v.geom::geography)::numeric, 2), 'geometry', ST_AsGeoJSON(v.geom, 9)::json)
               ORDER BY v.version))::text
FROM property_versions v
WHERE v.property_id = $1
HAVING count(*) > 0;
