-- Tenure security and registration coverage inputs, one row per district of the scope ($1 city id, $2 district code or
-- NULL = every district of the city, $4 as-of instant or NULL = now; the city's figures are the sum of its districts'
-- rows): active properties by status, those with a documented right (ownership, occupancy certificate or lease;
-- customary and informal occupancy are not documented) valid at that instant, and those holding an occupancy
-- certificate. Now reads the current rows of properties; an earlier instant reads the property version valid then
-- (property_versions: valid_from <= $4 < valid_to) and the rights valid then. One pass over the properties serves
-- every district: they are counted by district code, and districts without properties get zeros.
WITH p AS (
    SELECT p.city_id, p.id, p.status, p.district_code FROM properties p
    WHERE $4::timestamptz IS NULL AND p.city_id = $1 AND p.status <> 'retired' AND ($2::text IS NULL OR p.district_code = $2)
    UNION ALL
    SELECT v.city_id, v.property_id, v.status, v.district_code FROM property_versions v
    WHERE $4::timestamptz IS NOT NULL AND v.city_id = $1 AND v.valid_from <= $4 AND (v.valid_to IS NULL OR v.valid_to > $4)
      AND v.status <> 'retired' AND ($2::text IS NULL OR v.district_code = $2)
), counts AS (
    SELECT p.district_code,
           count(*) AS active,
           count(*) FILTER (WHERE p.status = 'registered') AS registered,
           count(*) FILTER (WHERE p.status = 'verified') AS verified,
           count(*) FILTER (WHERE p.status = 'surveyed') AS surveyed,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rights r WHERE r.city_id = p.city_id AND r.property_id = p.id
                                AND r.kind IN ('ownership', 'occupancy-certificate', 'lease')
                                AND r.valid_from <= coalesce($4, now()) AND (r.valid_to IS NULL OR r.valid_to > coalesce($4, now())))) AS documented,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rights r WHERE r.city_id = p.city_id AND r.property_id = p.id
                                AND r.kind = 'occupancy-certificate'
                                AND r.valid_from <= coalesce($4, now()) AND (r.valid_to IS NULL OR r.valid_to > coalesce($4, now())))) AS occupancy_certificates
    FROM p GROUP BY p.district_code
)
SELECT d.code AS district, coalesce(c.active, 0) AS active, coalesce(c.registered, 0) AS registered, coalesce(c.verified, 0) AS verified,
       coalesce(c.surveyed, 0) AS surveyed, coalesce(c.documented, 0) AS documented, coalesce(c.occupancy_certificates, 0) AS occupancy_certificates
FROM districts d LEFT JOIN counts c ON c.district_code = d.code
WHERE d.city_id = $1 AND ($2::text IS NULL OR d.code = $2)
ORDER BY d.code;
