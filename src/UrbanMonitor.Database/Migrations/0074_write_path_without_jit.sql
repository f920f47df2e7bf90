-- (Numbered after the audit migrations: it names their functions.)
-- The functions on the registration write path run small queries whose planner estimates are large (generate_series
-- and transition tables are assumed to hold 1,000 rows each), so PostgreSQL JIT-compiled them and started parallel
-- workers on every call: 60-300 ms for a lock that takes well under 1 ms (measured on the 1M-parcel city). Neither
-- JIT nor parallel workers run inside them.
ALTER FUNCTION registration_lock_area(integer, geometry, double precision, text[]) SET jit = off SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION um_audit_rows() SET jit = off SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION indicators_mark_properties() SET jit = off SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION indicators_mark_rights() SET jit = off SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION indicators_mark_settlements() SET jit = off SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION properties_first_version() SET jit = off SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION tiles_on_insert() SET jit = off SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION tiles_on_update() SET jit = off SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION tiles_on_delete() SET jit = off SET max_parallel_workers_per_gather = 0;
