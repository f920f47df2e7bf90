-- Tenure security and registration coverage inputs ($1 city id, $2 district code or NULL): active properties by
-- status, those with a current documented right (ownership, occupancy certificate or lease; customary and informal
-- occupancy are not documented), and those holding an occupancy certificate.
SELECT count(*) AS active,
       count(*) FILTER (WHERE p.status = 'registered') AS registered,
       count(*) FILTER (WHERE p.status = 'verified') AS verified,
       count(*) FILTER (WHERE p.status = 'surveyed') AS surveyed,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rights r WHERE r.city_id = p.city_id AND r.property_id = p.id
                            AND r.kind IN ('ownership', 'occupancy-certificate', 'lease') AND (r.valid_to IS NULL OR r.valid_to > now()))) AS documented,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rights r WHERE r.city_id = p.city_id AND r.property_id = p.id
                            AND r.kind = 'occupancy-certificate' AND (r.valid_to IS NULL OR r.valid_to > now()))) AS occupancy_certificates
FROM properties p
WHERE p.city_id = $1 AND p.status <> 'retired' AND ($2::text IS NULL OR p.district_code = $2);
