-- Per district of city $1 for fiscal year $2: properties assessed, paying (a payment in that year), amount assessed,
-- collected (payments in that year), and arrears: what is still unpaid of earlier years' charges once every payment
-- so far has paid the oldest charges first, i.e. greatest(0, debits before $2 - all payments), summed over properties.
WITH assessed AS (
    SELECT a.district_code, count(*) AS properties, sum(a.amount) AS amount
    FROM charge_assessments a WHERE a.city_id = $1 AND a.fiscal_year = $2
    GROUP BY a.district_code
), paid AS (
    SELECT p.district_code, count(DISTINCT cp.property_id) AS paying, sum(cp.amount) AS collected
    FROM charge_payments cp JOIN properties p ON p.city_id = cp.city_id AND p.id = cp.property_id
    WHERE cp.city_id = $1 AND cp.fiscal_year = $2
    GROUP BY p.district_code
), per_property AS (
    SELECT l.property_id,
           sum(l.amount) FILTER (WHERE l.kind <> 'payment' AND l.fiscal_year < $2) AS earlier_debits,
           -sum(l.amount) FILTER (WHERE l.kind = 'payment') AS credits
    FROM ledger_entries l WHERE l.city_id = $1
    GROUP BY l.property_id
), arrears AS (
    SELECT p.district_code, sum(greatest(0, coalesce(pp.earlier_debits, 0) - coalesce(pp.credits, 0))) AS arrears
    FROM per_property pp JOIN properties p ON p.city_id = $1 AND p.id = pp.property_id
    GROUP BY p.district_code
)
SELECT d.code, d.name,
       coalesce(a.properties, 0) AS assessed, coalesce(pd.paying, 0) AS paying,
       coalesce(a.amount, 0) AS amount, coalesce(pd.collected, 0) AS collected,
       coalesce(ar.arrears, 0) AS arrears
FROM districts d
LEFT JOIN assessed a ON a.district_code = d.code
LEFT JOIN paid pd ON pd.district_code = d.code
LEFT JOIN arrears ar ON ar.district_code = d.code
WHERE d.city_id = $1
ORDER BY d.code;
