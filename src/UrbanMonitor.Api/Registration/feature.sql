-- One property as a GeoJSON Feature: the version valid at $2 (the current one when $2 is null). Parties (names, ID
-- documents), source documents (deed/qabala numbers) and the free-form attributes (a survey file's every other column,
-- which may name occupants) only for staff of the property's district: $3 is the reader's districts ({slug}:{code} or
-- *), null for everyone else; anonymous readers and other districts' staff never get them.
SELECT json_build_object(
           'type', 'Feature',
           'id', v.property_id,
           'geometry', ST_AsGeoJSON(v.geom, 9)::json,
           'properties', json_build_object(
               'code', v.code, 'city', c.slug, 'district', v.district_code, 'block', v.block, 'parcel', v.parcel,
               'status', v.status, 'version', v.version, 'validFrom', v.valid_from, 'validTo', v.valid_to,
               'areaM2', round(ST_Area(v.geom::geography)::numeric, 2), 'attributes', CASE WHEN s.staff THEN v.attributes END,
               'address', (SELECT json_build_object('street', a.street, 'number', a.number, 'locality', a.locality)
                           FROM property_addresses a WHERE a.city_id = v.city_id AND a.property_id = v.property_id),
               'sources', CASE WHEN s.staff THEN v.sources END,
               -- Splits and merges this property took part in up to the time asked for.
               'lineage', (SELECT json_build_object(
                       'parents', coalesce(json_agg(json_build_object('id', l.parent_id, 'code', o.code, 'operation', l.operation, 'at', l.at)
                                                    ORDER BY o.code) FILTER (WHERE l.child_id = v.property_id), '[]'),
                       'children', coalesce(json_agg(json_build_object('id', l.child_id, 'code', o.code, 'operation', l.operation, 'at', l.at)
                                                     ORDER BY o.code) FILTER (WHERE l.parent_id = v.property_id), '[]'))
                   FROM property_lineage l
                   JOIN properties o ON o.id = CASE WHEN l.child_id = v.property_id THEN l.parent_id ELSE l.child_id END
                   WHERE (l.child_id = v.property_id OR l.parent_id = v.property_id)
                     AND l.at <= coalesce($2::timestamptz, now())),
               'rights', CASE WHEN s.staff THEN (
                   SELECT coalesce(json_agg(json_build_object(
                              'id', r.id, 'kind', r.kind, 'share', r.share, 'validFrom', r.valid_from, 'validTo', r.valid_to,
                              'party', json_build_object('kind', pa.kind, 'name', pa.name, 'idDocument', pa.id_document))
                              ORDER BY r.id), '[]')
                   FROM rights r
                   JOIN parties pa ON pa.city_id = r.city_id AND pa.id = r.party_id
                   WHERE r.city_id = v.city_id AND r.property_id = v.property_id
                     AND r.valid_from <= coalesce($2::timestamptz, now())
                     AND (r.valid_to IS NULL OR r.valid_to > coalesce($2::timestamptz, now()))) END))::text AS feature,
       v.version
FROM property_versions v
JOIN cities c ON c.id = v.city_id
CROSS JOIN LATERAL (SELECT coalesce('*' = ANY ($3::text[]) OR c.slug || ':' || v.district_code = ANY ($3::text[]), false) AS staff) s
WHERE v.property_id = $1
  AND CASE WHEN $2::timestamptz IS NULL THEN v.valid_to IS NULL
           ELSE v.valid_from <= $2::timestamptz AND (v.valid_to IS NULL OR v.valid_to > $2::timestamptz) END;
