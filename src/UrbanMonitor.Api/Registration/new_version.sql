-- The next version of property $2 of city $1: a null geometry ($3), attributes ($4), status ($5) or source documents
-- ($8) keeps the current one.
WITH changed AS (
    UPDATE properties p
    SET geom = coalesce(ST_GeomFromEWKB($3::bytea), p.geom),
        attributes = coalesce($4::jsonb, p.attributes),
        status = coalesce($5::text, p.status),
        sources = coalesce($8::jsonb, p.sources),
        version = p.version + 1,
        updated_at = now()
    WHERE p.city_id = $1 AND p.id = $2
    RETURNING p.*
)
INSERT INTO property_versions (city_id, property_id, version, valid_from, status, code, district_code, block, parcel,
                               attributes, geom, changed_by, reason, sources)
SELECT city_id, id, version, now(), status, code, district_code, block, parcel, attributes, geom, $6, $7, sources
FROM changed
RETURNING version;
