-- A new property in the caller's transaction (um_register_property, migration 0122): the area lock, snapping, the
-- rules and, when they hold, the insert. $1 city, $2 code, $3 district, $4 block, $5 parcel, $6 attributes, $7 the
-- candidate (EWKB, EPSG:4326), $8 surveyor, $9 source documents, $10 snapping distance (m), $11 overlap tolerance (m²),
-- $12/$13 the plausible area (m²), $14 more names to lock (its code, an Idempotency-Key).
SELECT snap_found, snapped, neighbours, max_shift_m, vertices_before, vertices_after, snap_valid,
       district_exists, inside, area_m2, conflicts, code_taken, id, version
FROM um_register_property($1, $2, $3, $4, $5, $6::jsonb, ST_GeomFromEWKB($7::bytea), $8, $9::jsonb, $10, $11, $12, $13, $14);
