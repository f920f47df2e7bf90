-- Registration coverage inputs ($1 city id, $2 district code or NULL): active properties by status.
SELECT count(*) FILTER (WHERE status <> 'retired') AS active,
       count(*) FILTER (WHERE status = 'registered') AS registered,
       count(*) FILTER (WHERE status = 'verified') AS verified,
       count(*) FILTER (WHERE status = 'surveyed') AS surveyed
FROM properties
WHERE city_id = $1 AND ($2::text IS NULL OR district_code = $2);
