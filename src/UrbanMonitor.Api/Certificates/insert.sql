-- Issues a certificate for version $4 of property $3 in city $1 (city code $2), issued now by $5, with verification
-- key $6 and content hash $7. The number is the city code and the certificate's id: MZR-OC-000042. A concurrent issue for
-- the same version wins the race and this one inserts nothing (the caller reads the winner's row).
WITH n AS (SELECT nextval(pg_get_serial_sequence('certificates', 'id')) AS id)
INSERT INTO certificates (city_id, id, number, property_id, property_version, issued_at, issued_by, verification_key, content_hash)
SELECT $1, n.id, $2 || '-OC-' || um_document_number(n.id), $3, $4, now(), $5, $6, $7
FROM n
ON CONFLICT (city_id, property_id, property_version) DO NOTHING
RETURNING number, issued_at;
