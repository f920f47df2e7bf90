-- The audit log (0070) also records the service-charge tables (rules, assessments, payments, ledger), settlement survey
-- rounds and sample designs. Assessing a whole city is one bulk statement: summarised as one entry with its row count.
SELECT um_audit_attach('fiscal_calendars', '''city_id''');
SELECT um_audit_attach('charge_rules', '''city_id'', ''fiscal_year''');
SELECT um_audit_attach('charge_rates', '''city_id'', ''fiscal_year'', ''land_use'', ''zone''');
SELECT um_audit_attach('charge_zones', '''city_id'', ''fiscal_year'', ''code''');
SELECT um_audit_attach('charge_assessments', '''city_id'', ''property_id'', ''fiscal_year''');
SELECT um_audit_attach('charge_payments', '''city_id'', ''id''');
SELECT um_audit_attach('ledger_entries', '''city_id'', ''id''');
SELECT um_audit_attach('settlement_rounds', '''city_id'', ''code'', ''survey_round''');
SELECT um_audit_attach('sample_designs', '''city_id'', ''id''');
SELECT um_audit_attach('national_samples', '''id''');
