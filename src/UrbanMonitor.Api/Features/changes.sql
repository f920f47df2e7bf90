-- Changes to properties after a position, in the order of the transactions that published them (0145): $1
-- feed_position, $2 valid_from in microseconds since 1970, $3 property id, $4 version (all NULL: from the start); at
-- most $5 rows; $6 a city slug or NULL. Only positions below um_feed_horizon(), the oldest transaction still running
-- in this snapshot, are read: every one below it has committed or never will, so no change can commit behind a
-- reader's cursor later, however long its transaction ran. Public columns only.
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
       v.feed_position,
       (extract(epoch FROM v.valid_from) * 1000000)::bigint,
       v.property_id,
       v.version
FROM property_versions v
JOIN cities c ON c.id = v.city_id
WHERE ($1::bigint IS NULL
       OR (v.feed_position, v.valid_from, v.property_id, v.version)
          > ($1::bigint, timestamptz 'epoch' + $2 * interval '1 microsecond', $3::bigint, $4::int))
  AND v.feed_position < um_feed_horizon()
  AND ($6::text IS NULL OR c.slug = $6)
ORDER BY v.feed_position, v.valid_from, v.property_id, v.version
LIMIT $5;
