-- Closes the open version of property $2 of city $1 (before its next version is written).
UPDATE property_versions SET valid_to = now()
WHERE city_id = $1 AND property_id = $2 AND valid_to IS NULL;
