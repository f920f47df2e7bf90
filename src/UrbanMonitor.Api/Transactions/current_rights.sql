-- The rights of property $1 open now (a lease whose end date has passed is no longer current).
SELECT id, kind, share FROM rights WHERE property_id = $1 AND (valid_to IS NULL OR valid_to > now()) ORDER BY id;
