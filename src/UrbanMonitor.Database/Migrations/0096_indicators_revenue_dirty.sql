-- Service-charge indicators (issue 7) read the ledger: every ledger entry (charge, adjustment, payment) makes the stored
-- revenue results of its property's district stale, as properties, rights and settlements already do.
CREATE FUNCTION indicators_mark_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO indicator_dirty (city_id, district_code, layer)
    SELECT DISTINCT p.city_id, p.district_code, 'service-charges' FROM new_rows l
    JOIN properties p ON p.city_id = l.city_id AND p.id = l.property_id
    ON CONFLICT DO NOTHING;
    PERFORM pg_notify('indicators_dirty', 'service-charges');
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_entries_indicators_insert AFTER INSERT ON ledger_entries REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION indicators_mark_ledger();
