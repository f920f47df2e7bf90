-- Changes to properties after a position, in the order of the transactions that published them (0145): $1
-- feed_position, $2 valid_from in microseconds since 1970, $3 property id, $4 version (from the start: a position before
-- every version); at most $5 rows, below the horizon $6 (um_feed_begin_read, in the same transaction): every
-- transaction below it has committed or never will, so no change can commit behind a reader's cursor later, however
-- long its transaction ran; $7 a city slug or NULL. Public columns only.
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
WHERE (v.feed_position, v.valid_from, v.property_id, v.version)
      > ($1::bigint, timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::bigint, $4::int)
  AND v.feed_position < $6::bigint
  AND ($7::text IS NULL OR c.slug = $7)
ORDER BY v.feed_position, v.valid_from, v.property_id, v.version
LIMIT $5;
