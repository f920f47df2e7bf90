-- Changes the fields given (null: unchanged) of project $1: $2 name, $3 contract amount, $4 beneficiaries,
-- $5 person-days, $6 women's person-days, $7 geometry EWKB, $8 status, $9 the reason for the status change,
-- $10 executing party, $11 contractor. The status trigger refuses a step back without a reason (SQLSTATE UMC01).
UPDATE projects p SET
    name = coalesce($2, p.name),
    contract_amount = coalesce($3, p.contract_amount),
    beneficiaries = coalesce($4, p.beneficiaries),
    person_days = coalesce($5, p.person_days),
    women_person_days = coalesce($6, p.women_person_days),
    geom = coalesce(ST_GeomFromEWKB($7), p.geom),
    status = coalesce($8, p.status),
    status_reason = CASE WHEN $8::text IS NULL THEN p.status_reason ELSE $9 END,
    executing_party = coalesce($10, p.executing_party),
    contractor = coalesce($11, p.contractor),
    updated_at = now()
WHERE p.id = $1;
