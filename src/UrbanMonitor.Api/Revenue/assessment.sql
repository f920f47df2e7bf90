-- The assessment of property $1 for fiscal year $2 with its rule, inputs and what has been booked and paid.
SELECT c.slug, c.code, p.code, p.district_code, a.invoice_number, a.fiscal_year, r.starts, r.ends,
       a.land_use, a.zone, a.area_m2, a.rate_per_m2, a.exempt, a.amount, r.minimum, r.maximum, r.default_land_use,
       r.exempt_land_uses, a.assessed_at, a.assessed_by, a.property_id
FROM charge_assessments a
JOIN charge_rules r ON r.city_id = a.city_id AND r.fiscal_year = a.fiscal_year
JOIN properties p ON p.city_id = a.city_id AND p.id = a.property_id
JOIN cities c ON c.id = a.city_id
WHERE ($1::bigint IS NULL OR (a.property_id = $1 AND a.fiscal_year = $2)) AND ($3::text IS NULL OR a.invoice_number = $3);
