-- The current row of property $1, locked until the transaction ends.
SELECT p.city_id, p.version, p.status, p.district_code, p.code, p.surveyed_by, c.slug
FROM properties p
JOIN cities c ON c.id = p.city_id
WHERE p.id = $1
FOR UPDATE OF p;
