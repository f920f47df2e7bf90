-- The city, city slug and district of record $2 of kind $1 (property, transaction, dispute, display). A display period
-- drawn as a polygon has no district: '*' (only staff assigned to every district may touch it).
SELECT p.city_id, c.slug, p.district_code FROM properties p JOIN cities c ON c.id = p.city_id
WHERE $1 = 'property' AND p.id = $2
UNION ALL
SELECT p.city_id, c.slug, p.district_code FROM transactions t JOIN properties p ON p.city_id = t.city_id AND p.id = t.property_id
JOIN cities c ON c.id = p.city_id WHERE $1 = 'transaction' AND t.id = $2
UNION ALL
SELECT p.city_id, c.slug, p.district_code FROM disputes d JOIN properties p ON p.city_id = d.city_id AND p.id = d.property_id
JOIN cities c ON c.id = p.city_id WHERE $1 = 'dispute' AND d.id = $2
UNION ALL
SELECT d.city_id, c.slug, coalesce(d.district_code, '*') FROM display_periods d JOIN cities c ON c.id = d.city_id
WHERE $1 = 'display' AND d.id = $2;
