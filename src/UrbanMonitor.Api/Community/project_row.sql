-- A project with its council's city, district and code ($1 project id), locked for the writing transaction, and the
-- money: contract amount and disbursed so far.
SELECT c.city_id, ci.slug, c.id, c.code, coalesce(c.district_code, ''), c.status, p.id, p.code, p.status, p.contract_amount, p.disbursed
FROM projects p
JOIN councils c ON c.city_id = p.city_id AND c.id = p.council_id
JOIN cities ci ON ci.id = c.city_id
WHERE p.id = $1
FOR UPDATE OF p;
