-- A council with its city and district ($1 council id); the writer appends FOR UPDATE OF c to lock it.
SELECT c.city_id, ci.slug, c.id, c.code, coalesce(c.district_code, ''), c.status
FROM councils c JOIN cities ci ON ci.id = c.city_id
WHERE c.id = $1
