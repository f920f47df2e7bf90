-- The registration rules (um_registration_check, migration 0122) on a candidate geometry ($1, EWKB in EPSG:4326) of
-- city $2, district $3. $4 is the property being edited (excluded from the overlap and code checks), $5 the human code,
-- $6 the overlap tolerance in m².
SELECT r.district_exists, r.inside, r.area_m2, r.conflicts, r.code_taken
FROM um_registration_check(ST_GeomFromEWKB($1::bytea), $2::int, $3::text, $4::bigint, $5::text, $6::float8) r;
