-- Service-charge figures per scope and fiscal year ($1 city id, $2 district code or NULL, $4 as-of instant or NULL =
-- now, $5 every: the city and each district at once; scope '' is the city): properties assessed and the amount
-- assessed for the year, properties paying (a payment booked to the year) and the amount collected (payments booked to
-- the year, by the city's fiscal calendar; payments of arrears count in the year paid). A property is in the district
-- it is in now. One row per scope and fiscal year with assessments or payments, oldest first; one pass (GROUPING SETS)
-- gives the districts and the city. As of an earlier instant: the amount assessed is the sum of the ledger's charges and
-- adjustments entered by then (a re-assessment books its difference as an adjustment, so they add up to the amount in
-- force then), a property counts as assessed when its assessment or a ledger charge of it was recorded by then, and
-- only the payments received by then count.
WITH a AS (
    SELECT CASE WHEN grouping(a.district_code) = 1 THEN '' ELSE a.district_code END AS scope,
           a.fiscal_year, count(*) AS assessed,
           sum(CASE WHEN $4::timestamptz IS NULL THEN a.amount
                    ELSE (SELECT coalesce(sum(l.amount), 0) FROM ledger_entries l
                          WHERE l.city_id = a.city_id AND l.property_id = a.property_id AND l.fiscal_year = a.fiscal_year
                            AND l.kind IN ('charge', 'adjustment') AND l.entered_at <= $4) END) AS assessed_amount
    FROM charge_assessments a
    WHERE a.city_id = $1 AND ($2::text IS NULL OR a.district_code = $2)
      AND ($4::timestamptz IS NULL OR a.assessed_at <= $4
           OR EXISTS (SELECT 1 FROM ledger_entries l WHERE l.city_id = a.city_id AND l.property_id = a.property_id
                        AND l.fiscal_year = a.fiscal_year AND l.kind = 'charge' AND l.entered_at <= $4))
    GROUP BY GROUPING SETS ((a.fiscal_year, a.district_code), (a.fiscal_year))
    HAVING CASE WHEN grouping(a.district_code) = 1 THEN $2::text IS NULL ELSE $5 OR $2::text IS NOT NULL END
), p AS (
    SELECT CASE WHEN grouping(pr.district_code) = 1 THEN '' ELSE pr.district_code END AS scope,
           cp.fiscal_year, count(DISTINCT cp.property_id) AS paying, sum(cp.amount) AS collected, count(*) AS payments
    FROM charge_payments cp JOIN properties pr ON pr.city_id = cp.city_id AND pr.id = cp.property_id
    WHERE cp.city_id = $1 AND ($2::text IS NULL OR pr.district_code = $2) AND ($4::timestamptz IS NULL OR cp.received_at <= $4)
    GROUP BY GROUPING SETS ((cp.fiscal_year, pr.district_code), (cp.fiscal_year))
    HAVING CASE WHEN grouping(pr.district_code) = 1 THEN $2::text IS NULL ELSE $5 OR $2::text IS NOT NULL END
)
SELECT coalesce(a.scope, p.scope) AS scope, coalesce(a.fiscal_year, p.fiscal_year) AS fiscal_year,
       coalesce(a.assessed, 0) AS assessed, coalesce(a.assessed_amount, 0)::double precision AS assessed_amount,
       coalesce(p.paying, 0) AS paying, coalesce(p.collected, 0)::double precision AS collected, coalesce(p.payments, 0) AS payments
FROM a FULL JOIN p ON p.scope = a.scope AND p.fiscal_year = a.fiscal_year
ORDER BY 1, 2;
