-- Snaps candidate $1 (EWKB, EPSG:4326) to the active parcels of city $2 other than $3 within $4 metres
-- (um_registration_snap, migration 0122). Returns the snapped EWKB (null when nothing moved or the result would be
-- invalid), the neighbours it snapped to, the largest shift (m), the vertex counts before and after, and whether it was
-- valid; no row when no neighbour is that near.
SELECT ST_AsEWKB(s.snapped), s.neighbours, s.max_shift_m, s.vertices_before, s.vertices_after, s.valid
FROM um_registration_snap(ST_GeomFromEWKB($1::bytea), $2::int, $3::bigint, $4::float8) s;
