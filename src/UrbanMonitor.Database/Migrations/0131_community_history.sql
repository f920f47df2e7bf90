-- History of councils and projects (issue 13): every state a council or project row had, read from the audit log
-- (0070), which records each write with who and when (and a project's status_reason says why its status moved).
--
-- A row published by a bulk statement (an import of more than 5,000 rows) has no audit entry of its own, only the
-- statement's summary: its first state is then the `before` of its first own entry, or the row as it is now, dated by
-- its created_at. geom3857 (derived from geom) is left out; geom is GeoJSON (PostGIS's jsonb cast).
CREATE FUNCTION community_versions(tbl text, record_id bigint)
RETURNS TABLE (entry bigint, at timestamptz, actor text, action text, before jsonb, after jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    city integer;
    current_row jsonb;
BEGIN
    IF tbl NOT IN ('councils', 'projects') THEN
        RAISE EXCEPTION 'community_versions reads councils or projects, not %', tbl USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('SELECT t.city_id, to_jsonb(t) - ''geom3857'' FROM %I t WHERE t.id = $1', tbl) INTO city, current_row USING record_id;
    IF city IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH own AS (
        SELECT a.id, a.at, a.actor, a.action, a.before - 'geom3857' AS b, a.after - 'geom3857' AS f
        FROM audit_log a
        WHERE a.city_id = city AND a.table_name = tbl AND a.row_key @> jsonb_build_object('id', record_id))
    SELECT NULL::bigint, (x.j ->> 'created_at')::timestamptz, NULL::text, 'bulk-insert'::text, NULL::jsonb, x.j
    FROM (SELECT coalesce((SELECT o.b FROM own o ORDER BY o.id LIMIT 1), current_row) AS j) x
    WHERE NOT EXISTS (SELECT 1 FROM own o WHERE o.action = 'insert')
    UNION ALL
    SELECT o.id, o.at, o.actor, o.action, o.b, o.f FROM own o
    ORDER BY 2, 1 NULLS FIRST;
END
$$;
