-- The certificate already issued for version $3 of property $2 in city $1, if any.
SELECT number, issued_at, verification_key, content_hash
FROM certificates
WHERE city_id = $1 AND property_id = $2 AND property_version = $3;
