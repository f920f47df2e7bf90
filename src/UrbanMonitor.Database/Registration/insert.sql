-- A new property, status surveyed; the AFTER INSERT trigger of migration 0006 writes its version 1.
INSERT INTO properties (city_id, code, district_code, block, parcel, status, attributes, geom, surveyed_by, sources)
VALUES ($1, $2, $3, $4, $5, 'surveyed', $6::jsonb, ST_GeomFromEWKB($7::bytea), $8, coalesce($9::jsonb, '[]'))
RETURNING id, version;
