-- One page of the audit log, newest first (keyset on id), optionally one city, table, or record (row_key contains $4).
SELECT a.id, a.seal_seq, a.at, a.actor, a.action, a.table_name, a.row_key, a.before, a.after,
       coalesce(c.slug, '') AS city, encode(a.hash, 'hex') AS hash
FROM audit_log a
LEFT JOIN cities c ON c.id = a.city_id
WHERE ($1::int IS NULL OR a.city_id = $1)
  AND ($2::text IS NULL OR a.table_name = $2)
  AND ($3::bigint IS NULL OR a.id < $3)
  AND ($4::jsonb IS NULL OR a.row_key @> $4)
ORDER BY a.id DESC
LIMIT $5
