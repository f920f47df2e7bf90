-- The certificate numbered $1 whose verification key is $2 (nothing when either is wrong), and whether it is still
-- current: the property has not changed version since and is not retired.
SELECT ce.city_id, ce.property_id, ce.property_version, ce.number, ce.issued_at, ce.content_hash,
       (p.version = ce.property_version AND p.status <> 'retired') AS current
FROM certificates ce
JOIN properties p ON p.city_id = ce.city_id AND p.id = ce.property_id
WHERE ce.number = $1 AND ce.verification_key = $2;
