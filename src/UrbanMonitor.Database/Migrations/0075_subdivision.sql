-- Subdivision by sale of part: a transaction kind whose changes also hold the sold part (GeoJSON, EPSG:4326); approving
-- it splits the property into the remainder and the part (property_lineage, operation 'split').
ALTER TABLE transactions DROP CONSTRAINT transactions_kind_check;
ALTER TABLE transactions ADD CONSTRAINT transactions_kind_check CHECK (kind IN
    ('sale', 'gift', 'inheritance', 'lease', 'mortgage', 'encumbrance', 'discharge', 'correction', 'subdivision'));
