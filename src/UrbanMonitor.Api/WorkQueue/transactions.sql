-- A page of one city's transactions of one status ($1 city id, $2 status), in the districts $3 (NULL = all), after id
-- $4 (keyset), at most $5 rows, oldest first. Reads transactions_queue (0091_work_queue.sql) in id order.
SELECT t.id, t.property_id, p.code, p.district_code, t.kind, t.status, t.reason, t.lodged_by, t.lodged_at,
       ST_X(ST_PointOnSurface(p.geom)), ST_Y(ST_PointOnSurface(p.geom))
FROM transactions t
JOIN properties p ON p.city_id = t.city_id AND p.id = t.property_id
WHERE t.city_id = $1 AND t.status = $2 AND ($3::text[] IS NULL OR p.district_code = ANY ($3::text[]))
  AND t.id > coalesce($4::bigint, 0)
ORDER BY t.id
LIMIT $5;
