-- Transaction $1 (or, when $1 is null, every transaction of property $2 as a list), with what the handlers need:
-- slug and district (permissions), status, lodger, property, kind, changes, reason and city; an approved subdivision
-- lists the parcels it made (children).
SELECT CASE WHEN $1::bigint IS NOT NULL THEN (json_agg(x.j))->0 ELSE coalesce(json_agg(x.j ORDER BY t.id) FILTER (WHERE t.id IS NOT NULL), '[]') END::text,
       c.slug, p.district_code, min(t.status), min(t.lodged_by), p.id, min(t.kind), min(t.changes::text), min(t.reason), p.city_id
FROM properties p
JOIN cities c ON c.id = p.city_id
LEFT JOIN transactions t ON t.city_id = p.city_id AND t.property_id = p.id AND ($1::bigint IS NULL OR t.id = $1)
LEFT JOIN LATERAL (SELECT json_build_object(
        'id', t.id, 'property', t.property_id, 'code', p.code, 'kind', t.kind, 'status', t.status, 'changes', t.changes,
        'reason', t.reason, 'document', t.document_id, 'documentUrl', '/api/documents/' || t.document_id || '/content',
        'lodgedBy', t.lodged_by, 'lodgedAt', t.lodged_at, 'decidedBy', t.decided_by, 'decidedAt', t.decided_at,
        'decisionNote', t.decision_note, 'appliedVersion', t.applied_version,
        'children', CASE WHEN t.kind = 'subdivision' AND t.status = 'approved' THEN
            (SELECT json_agg(json_build_object('id', l.child_id, 'code', k.code) ORDER BY k.code)
             FROM property_lineage l JOIN properties k ON k.city_id = l.city_id AND k.id = l.child_id
             WHERE l.city_id = t.city_id AND l.parent_id = t.property_id) END) AS j) x ON t.id IS NOT NULL
WHERE CASE WHEN $1::bigint IS NOT NULL THEN p.id = (SELECT property_id FROM transactions WHERE id = $1) ELSE p.id = $2 END
GROUP BY c.slug, p.district_code, p.id, p.city_id
HAVING $1::bigint IS NULL OR count(t.id) > 0;
