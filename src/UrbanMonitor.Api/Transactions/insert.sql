-- A lodged transaction ($4: the rights it closes and opens) on property $2 of city $1.
INSERT INTO transactions (city_id, property_id, kind, changes, reason, document_id, lodged_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id;
