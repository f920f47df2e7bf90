-- um_announce_pending (0123) no longer skips the queued rows another caller has taken: it waits until that caller has
-- committed their announcement. With SKIP LOCKED, a second service instance that found its registration's queued row
-- taken by the first instance's announcer returned at once, and answered 201 before the first had bumped the layer's
-- version: a client reading TileJSON after the 201 could see the old version. Now, when the function returns, every
-- change committed before it was called has been announced, by this caller or by one it waited for; that holds with
-- any number of service instances. Waits are short (an announcement is one short transaction). Announcers cannot
-- deadlock with each other: they lock the queued rows in id order, and only then layers' versions, in layer order
-- (the order a writer's commit-time flush of several layers takes them in is its queue's; should that ever cross an
-- announcer, PostgreSQL cancels one, the service logs it and its next sweep announces the rest). lock_timeout bounds
-- the wait behind a session that took queued rows and stalls (say, um_announce_pending called in an open psql
-- transaction): the call then fails, is logged, and the sweep retries; the registration's commit stands.
CREATE OR REPLACE FUNCTION um_announce_pending() RETURNS integer LANGUAGE plpgsql
SET jit = off SET max_parallel_workers_per_gather = 0 SET lock_timeout = '10s' AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    FOR r IN
        WITH taken AS (
            DELETE FROM tiles_pending WHERE id IN (SELECT id FROM tiles_pending ORDER BY id FOR UPDATE)
            RETURNING layer, old_boxes, new_boxes, everything
        ), boxes AS (
            SELECT t.layer, 'old' AS side, b FROM taken t, jsonb_array_elements(t.old_boxes) b
            UNION ALL
            SELECT t.layer, 'new', b FROM taken t, jsonb_array_elements(t.new_boxes) b
        )
        SELECT l.layer, l.everything,
               coalesce((SELECT jsonb_agg(b) FROM boxes x WHERE x.layer = l.layer AND x.side = 'old'), '[]') AS old_boxes,
               coalesce((SELECT jsonb_agg(b) FROM boxes x WHERE x.layer = l.layer AND x.side = 'new'), '[]') AS new_boxes,
               (SELECT count(*) FROM boxes x WHERE x.layer = l.layer) AS boxes,
               (SELECT jsonb_build_array(jsonb_build_array(min((b ->> 0)::float8), min((b ->> 1)::float8),
                                                           max((b ->> 2)::float8), max((b ->> 3)::float8)))
                FROM boxes x WHERE x.layer = l.layer) AS extent
        FROM (SELECT layer, bool_or(everything) AS everything FROM taken GROUP BY layer) l
        ORDER BY l.layer
    LOOP
        PERFORM um_layer_announce(r.layer, r.everything,
                                  CASE WHEN r.boxes > 32 THEN '[]'::jsonb ELSE r.old_boxes END,
                                  CASE WHEN r.boxes > 32 THEN r.extent ELSE r.new_boxes END);
        n := n + 1;
    END LOOP;
    IF EXISTS (SELECT 1 FROM indicator_dirty) THEN
        PERFORM pg_notify('indicators_dirty', 'registrations');
    END IF;
    RETURN n;
END
$$;
