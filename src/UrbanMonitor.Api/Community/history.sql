-- The history of council or project $2 (table $1: councils or projects): every write, oldest first, with when, why
-- (the reason the writer gave, migration 0141), the fields it changed and the state it left. $3: the fields the reader
-- may see (public ones; staff also the staff-only); who wrote it only for staff ($4). The geometry is listed when it
-- changed; GET …?at= gives it as it was.
SELECT json_build_object(
    'id', $2::bigint,
    'entries', coalesce(json_agg(json_build_object(
        'at', v.at,
        'action', v.action,
        'changedBy', CASE WHEN $4 THEN v.actor END,
        'reason', v.after ->> 'change_reason',
        'changed', (SELECT coalesce(json_agg(k ORDER BY k), '[]') FROM jsonb_object_keys(v.after) k
                    WHERE k = ANY ($3) AND v.before IS NOT NULL AND v.before -> k IS DISTINCT FROM v.after -> k),
        'state', (SELECT jsonb_object_agg(k, x) FROM jsonb_each(v.after) AS e (k, x) WHERE k = ANY ($3) AND k <> 'geom'))
        ORDER BY v.at, v.entry NULLS FIRST), '[]')
)::text
FROM community_versions($1, $2) v
WHERE v.after IS NOT NULL;
