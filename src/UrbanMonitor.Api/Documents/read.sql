-- Document $1: the slug and district of its record (for permissions), its metadata, and its bytes when $2 is true.
SELECT c.slug, coalesce(p.district_code, dp.district_code, '*'),
       json_build_object('id', d.id, 'record', d.record_kind || ':' || d.record_id, 'kind', d.kind, 'fileName', d.file_name,
                         'mediaType', d.media_type, 'sizeBytes', d.size_bytes, 'sha256', d.sha256, 'uploadedAt', d.uploaded_at,
                         'content', '/api/documents/' || d.id || '/content')::text,
       d.media_type, d.file_name, d.sha256, CASE WHEN $2::boolean THEN d.content END
FROM documents d
JOIN cities c ON c.id = d.city_id
LEFT JOIN transactions t ON d.record_kind = 'transaction' AND t.city_id = d.city_id AND t.id = d.record_id
LEFT JOIN disputes ds ON d.record_kind = 'dispute' AND ds.city_id = d.city_id AND ds.id = d.record_id
LEFT JOIN display_periods dp ON d.record_kind = 'display' AND dp.city_id = d.city_id AND dp.id = d.record_id
LEFT JOIN properties p ON p.city_id = d.city_id
     AND p.id = CASE d.record_kind WHEN 'property' THEN d.record_id WHEN 'transaction' THEN t.property_id WHEN 'dispute' THEN ds.property_id END
WHERE d.id = $1;
