-- Changes to properties after a position: $1 valid_from in microseconds since 1970 (NULL: from the start), $2 property
-- id, $3 version; at most $4 rows; only versions older than $5 seconds, so a transaction that commits a little after
-- its timestamp is not skipped by a reader who has passed it; $6 a city slug or NULL. Public columns only.
SELECT json_build_object(
           'id', v.property_id,
           'version', v.version,
           'changedAt', v.valid_from,
           'operation', CASE WHEN v.status = 'retired' THEN 'retired' WHEN v.version = 1 THEN 'created' ELSE 'updated' END,
           'feature', json_build_object(
               'type', 'Feature',
               'id', v.property_id,
               'geometry', ST_AsGeoJSON(v.geom, 9)::json,
               'properties', json_build_object('city', c.slug, 'code', v.code, 'status', v.status,
                                               'district_code', v.district_code, 'block', v.block, 'parcel', v.parcel)))::text,
       (extract(epoch FROM v.valid_from) * 1000000)::bigint,
       v.property_id,
       v.version
FROM property_versions v
JOIN cities c ON c.id = v.city_id
WHERE ($1::bigint IS NULL
       OR (v.valid_from, v.property_id, v.version) > (timestamptz 'epoch' + $1 * interval '1 microsecond', $2::bigint, $3::int))
  AND v.valid_from < now() - make_interval(secs => $5)
  AND ($6::text IS NULL OR c.slug = $6)
ORDER BY v.valid_from, v.property_id, v.version
LIMIT $4;
