-- One payment by receipt number ($1) or by id ($2) with its property and the property's balance after it.
SELECT c.slug, c.code, c.name, p.code, p.district_code, cp.id, cp.receipt_number, cp.fiscal_year, cp.paid_on, cp.amount,
       cp.method, cp.reference, cp.received_by, cp.received_at, cp.property_id,
       (SELECT sum(l.amount) FROM ledger_entries l
        WHERE l.city_id = cp.city_id AND l.property_id = cp.property_id
          AND l.id <= (SELECT max(l2.id) FROM ledger_entries l2 WHERE l2.city_id = cp.city_id AND l2.payment_id = cp.id)) AS balance_after
FROM charge_payments cp
JOIN properties p ON p.city_id = cp.city_id AND p.id = cp.property_id
JOIN cities c ON c.id = cp.city_id
WHERE ($1::text IS NULL OR cp.receipt_number = $1) AND ($2::bigint IS NULL OR cp.id = $2);
