-- One party ($2 kind, $3 name, $4 ID document) and its right ($6 kind, $7 share) on property $5 of city $1, valid from
-- now (the transaction's instant) until $8 (a lease's end; null: until closed).
WITH p AS (
    INSERT INTO parties (city_id, kind, name, id_document) VALUES ($1, $2, $3, $4) RETURNING id
)
INSERT INTO rights (city_id, property_id, party_id, kind, share, valid_to)
SELECT $1, $5, p.id, $6, $7, $8 FROM p;
