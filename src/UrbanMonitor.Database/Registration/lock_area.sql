-- The grid cells around the parcel $2 (EWKB, EPSG:4326) widened by $3 metres in city $1, and the names $4, locked
-- until the transaction ends (registration_lock_area, migration 0060).
SELECT registration_lock_area($1, ST_GeomFromEWKB($2), $3, $4);
