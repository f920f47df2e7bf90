-- The registration write path (issue 4) stops planning the same small statements on every call.
--
-- pg_stat_statements on the 1M-parcel city (8 concurrent registrations) showed PostgreSQL planning more than it
-- executed in three helpers of every write:
--   * tiles_boxes and tiles_layer_changed were LANGUAGE sql functions whose bodies cannot be inlined (a sub-SELECT, an
--     INSERT), so each call parsed and planned its statement afresh (0.35 ms per registration). The same bodies in
--     PL/pgSQL keep their plans for the session.
--   * registration_lock_area's locking statement was planned with its parameters on every call (0.23 ms), as its
--     generic plan is estimated dearer (generate_series counts as 1,000 rows); the plan is the same either way.
CREATE OR REPLACE FUNCTION tiles_boxes(boxes geometry[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF boxes IS NULL OR cardinality(boxes) = 0 THEN
        RETURN '[]'::jsonb;
    ELSIF cardinality(boxes) <= 32 THEN
        RETURN (SELECT coalesce(jsonb_agg(jsonb_build_array(ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b))), '[]'::jsonb)
                FROM unnest(boxes) b WHERE b IS NOT NULL AND NOT ST_IsEmpty(b));
    END IF;
    RETURN (SELECT CASE WHEN e IS NULL THEN '[]'::jsonb
                        ELSE jsonb_build_array(jsonb_build_array(ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e))) END
            FROM (SELECT ST_Extent(b)::geometry AS e FROM unnest(boxes) b) x);
END
$$;

CREATE OR REPLACE FUNCTION tiles_layer_changed(p_layer text, old_boxes geometry[], new_boxes geometry[], everything boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tiles_pending (layer, old_boxes, new_boxes, everything)
    VALUES (p_layer, tiles_boxes(old_boxes), tiles_boxes(new_boxes), everything);
END
$$;

ALTER FUNCTION registration_lock_area(integer, geometry, double precision, text[]) SET plan_cache_mode = force_generic_plan;
