-- A new project of council ($1 city id, $2 council id): $3 code, $4 name, $5 type, $6 executing party, $7 contractor,
-- $8 contract amount, $9 status, $10 beneficiaries, $11 person-days, $12 women's person-days, $13 geometry EWKB.
INSERT INTO projects (city_id, council_id, code, name, type, executing_party, contractor, contract_amount, status,
                      beneficiaries, person_days, women_person_days, geom)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ST_GeomFromEWKB($13))
RETURNING id;
