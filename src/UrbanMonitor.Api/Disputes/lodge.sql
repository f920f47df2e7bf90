-- A new open dispute on property $2 of city $1; it belongs to the open display period that shows the property, if any.
INSERT INTO disputes (city_id, property_id, kind, statement, objector_name, lodged_by, display_id)
SELECT $1, $2, $3, $4, $5, $6,
       (SELECT dc.display_id FROM display_claims dc JOIN display_periods dp ON dp.city_id = dc.city_id AND dp.id = dc.display_id
        WHERE dc.city_id = $1 AND dc.property_id = $2 AND dp.status = 'open' ORDER BY dc.display_id DESC LIMIT 1)
RETURNING id;
