-- Dispute $1 (or, when $1 is null, every dispute of property $2 as a list) with the slug and district for permissions
-- and who lodged it.
SELECT c.slug, p.district_code, min(d.lodged_by),
       CASE WHEN $1::bigint IS NOT NULL THEN (json_agg(x.j))->0 ELSE coalesce(json_agg(x.j ORDER BY d.id) FILTER (WHERE d.id IS NOT NULL), '[]') END::text
FROM properties p
JOIN cities c ON c.id = p.city_id
LEFT JOIN disputes d ON d.city_id = p.city_id AND d.property_id = p.id AND ($1::bigint IS NULL OR d.id = $1)
LEFT JOIN LATERAL (SELECT json_build_object(
        'id', d.id, 'property', d.property_id, 'code', p.code, 'kind', d.kind, 'status', d.status, 'statement', d.statement,
        'objector', d.objector_name, 'lodgedBy', d.lodged_by, 'lodgedAt', d.lodged_at, 'display', d.display_id,
        'decision', d.decision, 'decisionDocument', d.decision_document_id, 'resolvedBy', d.resolved_by, 'resolvedAt', d.resolved_at) AS j) x ON d.id IS NOT NULL
WHERE CASE WHEN $1::bigint IS NOT NULL THEN p.id = (SELECT property_id FROM disputes WHERE id = $1) ELSE p.id = $2 END
GROUP BY c.slug, p.district_code
HAVING $1::bigint IS NULL OR count(d.id) > 0;
