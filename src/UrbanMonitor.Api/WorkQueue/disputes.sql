-- A page of one city's disputes of one status ($1 city id, $2 status), in the districts $3 (NULL = all), after id $4
-- (keyset), at most $5 rows, oldest first. Reads disputes_queue (0091_work_queue.sql) in id order.
SELECT d.id, d.property_id, p.code, p.district_code, d.kind, d.status, d.statement, d.lodged_by, d.lodged_at,
       ST_X(ST_PointOnSurface(p.geom)), ST_Y(ST_PointOnSurface(p.geom))
FROM disputes d
JOIN properties p ON p.city_id = d.city_id AND p.id = d.property_id
WHERE d.city_id = $1 AND d.status = $2 AND ($3::text[] IS NULL OR p.district_code = ANY ($3::text[]))
  AND d.id > coalesce($4::bigint, 0)
ORDER BY d.id
LIMIT $5;
