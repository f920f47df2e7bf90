-- Service-charge figures per fiscal year ($1 city id, $2 district code or NULL): properties assessed and the amount
-- assessed for the year, properties paying (a payment booked to the year) and the amount collected (payments booked to
-- the year, by the city's fiscal calendar; payments of arrears count in the year paid). A property is in the district
-- it is in now. One row per fiscal year with assessments or payments, oldest first.
WITH a AS (
    SELECT a.fiscal_year, count(*) AS assessed, sum(a.amount) AS assessed_amount
    FROM charge_assessments a
    WHERE a.city_id = $1 AND ($2::text IS NULL OR a.district_code = $2)
    GROUP BY a.fiscal_year
), p AS (
    SELECT cp.fiscal_year, count(DISTINCT cp.property_id) AS paying, sum(cp.amount) AS collected, count(*) AS payments
    FROM charge_payments cp JOIN properties pr ON pr.city_id = cp.city_id AND pr.id = cp.property_id
    WHERE cp.city_id = $1 AND ($2::text IS NULL OR pr.district_code = $2)
    GROUP BY cp.fiscal_year
)
SELECT coalesce(a.fiscal_year, p.fiscal_year) AS fiscal_year,
       coalesce(a.assessed, 0) AS assessed, coalesce(a.assessed_amount, 0)::double precision AS assessed_amount,
       coalesce(p.paying, 0) AS paying, coalesce(p.collected, 0)::double precision AS collected, coalesce(p.payments, 0) AS payments
FROM a FULL JOIN p ON p.fiscal_year = a.fiscal_year
ORDER BY 1;
