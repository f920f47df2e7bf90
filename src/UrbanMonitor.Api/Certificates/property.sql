-- The current row of property $1 for a certificate, share-locked so its version cannot change while the certificate
-- is issued: city, district, status, version, and whether it holds a right open now.
SELECT p.city_id, c.slug, c.code, p.district_code, p.status, p.version, p.code,
       EXISTS (SELECT 1 FROM rights r
               WHERE r.city_id = p.city_id AND r.property_id = p.id AND (r.valid_to IS NULL OR r.valid_to > now())) AS has_right
FROM properties p
JOIN cities c ON c.id = p.city_id
WHERE p.id = $1
FOR SHARE OF p;
