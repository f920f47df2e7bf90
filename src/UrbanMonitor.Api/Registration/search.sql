-- Property search: the versions valid at $1 (now when null) whose code starts with $2, whose parties' folded names
-- contain the folded $3 (rights valid at that instant), that hold the point ($4, $5), or that intersect the box
-- ($6 … $9); every given criterion must match. $10 is the reader's districts ({slug}:{code} or *) when staff, else null:
-- party names are searched and shown only in those districts. Ordered by code, keyset after $11.
WITH hit AS (
    SELECT v.city_id, v.property_id, v.code, v.district_code, v.status, v.geom, s.staff
    FROM property_versions v
    JOIN cities c ON c.id = v.city_id
    CROSS JOIN LATERAL (SELECT coalesce('*' = ANY ($10::text[]) OR c.slug || ':' || v.district_code = ANY ($10::text[]), false) AS staff) s
    WHERE CASE WHEN $1::timestamptz IS NULL THEN v.valid_to IS NULL
               ELSE v.valid_from <= $1::timestamptz AND (v.valid_to IS NULL OR v.valid_to > $1::timestamptz) END
      AND ($2::text IS NULL OR v.code LIKE replace(replace(replace($2::text, '\', '\\'), '%', '\%'), '_', '\_') || '%')
      AND ($4::float8 IS NULL OR ST_Intersects(v.geom, ST_SetSRID(ST_MakePoint($4::float8, $5::float8), 4326)))
      AND ($6::float8 IS NULL OR v.geom && ST_MakeEnvelope($6::float8, $7::float8, $8::float8, $9::float8, 4326))
      AND ($3::text IS NULL OR s.staff AND EXISTS (
            SELECT 1 FROM rights r JOIN parties pa ON pa.city_id = r.city_id AND pa.id = r.party_id
            WHERE r.city_id = v.city_id AND r.property_id = v.property_id
              AND r.valid_from <= coalesce($1::timestamptz, now())
              AND (r.valid_to IS NULL OR r.valid_to > coalesce($1::timestamptz, now()))
              AND um_fold_name(pa.name) LIKE '%' || um_fold_name($3::text) || '%'))
      AND ($11::text IS NULL OR v.code > $11::text)
    ORDER BY v.code
    LIMIT $12
)
SELECT h.property_id, h.code,
       json_build_object(
           'type', 'Feature', 'id', h.property_id,
           'geometry', ST_AsGeoJSON(h.geom, 9)::json,
           'properties', json_build_object(
               'code', h.code, 'city', c.slug, 'district', h.district_code, 'status', h.status,
               'areaM2', round(ST_Area(h.geom::geography)::numeric, 2),
               'holders', CASE WHEN h.staff THEN (
                   SELECT coalesce(json_agg(pa.name ORDER BY r.id), '[]')
                   FROM rights r JOIN parties pa ON pa.city_id = r.city_id AND pa.id = r.party_id
                   WHERE r.city_id = h.city_id AND r.property_id = h.property_id
                     AND r.valid_from <= coalesce($1::timestamptz, now())
                     AND (r.valid_to IS NULL OR r.valid_to > coalesce($1::timestamptz, now()))) END))::text
FROM hit h JOIN cities c ON c.id = h.city_id
ORDER BY h.code;
