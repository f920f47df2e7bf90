-- The ledger of property $1: every entry in order with the running balance (debits positive, credits negative).
SELECT l.id, l.fiscal_year, l.kind, l.amount, l.entry_date, l.invoice_number, p.receipt_number,
       sum(l.amount) OVER (ORDER BY l.id) AS balance
FROM ledger_entries l
LEFT JOIN charge_payments p ON p.city_id = l.city_id AND p.id = l.payment_id
WHERE l.property_id = $1
ORDER BY l.id;
