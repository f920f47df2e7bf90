-- Concurrent registrations (issue 4): writers in one city no longer queue on one row or one lock.
--
-- 1. The layer version bump moves to commit time. tiles_layer_changed used to update the layer's layer_versions row
--    in the middle of the writing transaction, so that row stayed locked until the commit and every writer of the
--    layer waited for the one before it. Now it queues the change in tiles_pending; a deferred constraint trigger
--    bumps the version and sends the NOTIFY when the transaction commits, so the row is held only for the commit
--    itself. The version is still bumped in the same transaction as the write (TileJSON ?v= is unchanged: a version
--    is visible only together with the data it names) and a rolled-back write bumps and announces nothing.
CREATE UNLOGGED TABLE tiles_pending (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer      text NOT NULL,
    old_boxes  jsonb NOT NULL,
    new_boxes  jsonb NOT NULL,
    everything boolean NOT NULL
);

CREATE OR REPLACE FUNCTION tiles_layer_changed(p_layer text, old_boxes geometry[], new_boxes geometry[], everything boolean)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO tiles_pending (layer, old_boxes, new_boxes, everything)
    VALUES (p_layer, tiles_boxes(old_boxes), tiles_boxes(new_boxes), everything)
$$;

CREATE FUNCTION tiles_pending_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
BEGIN
    INSERT INTO layer_versions AS lv (layer, version) VALUES (NEW.layer, 2)
    ON CONFLICT ON CONSTRAINT layer_versions_pkey DO UPDATE SET version = lv.version + 1
    RETURNING lv.version INTO v;
    PERFORM pg_notify('tiles_changed', jsonb_build_object(
        'layer', NEW.layer, 'version', v, 'all', NEW.everything, 'old', NEW.old_boxes, 'new', NEW.new_boxes)::text);
    DELETE FROM tiles_pending WHERE id = NEW.id;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER tiles_pending_flush AFTER INSERT ON tiles_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tiles_pending_flush();

-- 2. Registrations lock the area they write, not the city. A new parcel takes the city lock (40604) shared, then
--    advisory locks on the cells of a nested grid (levels of 0.0001°, 0.001°, 0.01° and 0.1°, each cell of a level
--    splitting into 10 × 10 of the level below) that its bounding box touches, widened by p_margin_m metres (the
--    snapping distance and more, as snapping may move vertices that far). It locks the cells of the finest level where
--    the box touches at most 16 cells exclusively, and the cells of every coarser level holding them shared. Two
--    parcels whose widened boxes meet share a cell at the finer of their two levels: one holds it exclusively and the
--    other holds it exclusively or shared, so they run one after the other and cannot both pass the overlap check.
--    Parcels apart run side by side. All locks are taken in one pass in ascending key order (no deadlocks). Cell
--    indices come from the finest level by integer division, so the levels nest exactly. A box too large for 16 cells
--    of 0.1° takes the city lock exclusively, as do writers that need the whole city (edits, split, merge, public
--    display: LockCityAsync). p_names are more things the writer must hold alone (its property code, its
--    Idempotency-Key), locked exclusively in the same sorted pass.
CREATE FUNCTION registration_lock_area(p_city integer, g geometry, p_margin_m double precision, p_names text[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    b box2d;
    fx0 bigint; fx1 bigint; fy0 bigint; fy1 bigint;
    own integer;
    d bigint;
BEGIN
    b := ST_Expand(Box2D(g),
                   p_margin_m / (111320.0 * greatest(cos(radians(greatest(abs(ST_YMin(g)), abs(ST_YMax(g))))), 0.01)),
                   p_margin_m / 110574.0);
    fx0 := floor(ST_XMin(b) / 0.0001); fx1 := floor(ST_XMax(b) / 0.0001);
    fy0 := floor(ST_YMin(b) / 0.0001); fy1 := floor(ST_YMax(b) / 0.0001);
    FOR l IN 0 .. 3 LOOP
        d := (10 ^ l)::bigint;
        IF (floor(fx1::numeric / d) - floor(fx0::numeric / d) + 1) * (floor(fy1::numeric / d) - floor(fy0::numeric / d) + 1) <= 16 THEN
            own := l;
            EXIT;
        END IF;
    END LOOP;
    IF own IS NULL THEN
        PERFORM pg_advisory_xact_lock(40604, p_city);
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(40604, p_city);
    PERFORM count(CASE WHEN exclusive THEN pg_advisory_xact_lock(k) ELSE pg_advisory_xact_lock_shared(k) END)
    FROM (
        SELECT k, bool_or(exclusive) AS exclusive FROM (
            SELECT hashtextextended(p_city || ':' || lv.l || ':' || x || ':' || y, 40605) AS k, lv.l = own AS exclusive
            FROM generate_series(own, 3) lv(l),
                 LATERAL (SELECT (10 ^ lv.l)::bigint AS d) dl,
                 LATERAL generate_series(floor(fx0::numeric / dl.d)::bigint, floor(fx1::numeric / dl.d)::bigint) x,
                 LATERAL generate_series(floor(fy0::numeric / dl.d)::bigint, floor(fy1::numeric / dl.d)::bigint) y
            UNION ALL
            SELECT hashtextextended(p_city || ':' || n, 40606), true FROM unnest(p_names) n
        ) keys
        GROUP BY k
        ORDER BY k) sorted;
END
$$;
