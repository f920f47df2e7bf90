-- One import job as JSON ($1: job id): status, counts, the first 100 issues, links.
SELECT json_build_object(
    'id', j.id,
    'city', c.slug,
    'layer', j.layer,
    'format', j.format,
    'mode', j.mode,
    'fileName', j.file_name,
    'requestedBy', j.requested_by,
    'crs', 'EPSG:' || j.source_srid,
    'status', j.status,
    'phase', j.phase,
    'featuresRead', j.features_read,
    'featuresInvalid', j.features_invalid,
    'featuresPublished', j.features_published,
    'error', j.error,
    'createdAt', j.created_at,
    'startedAt', j.started_at,
    'finishedAt', j.finished_at,
    'timings', j.timings,
    'issues', coalesce((
        SELECT json_agg(json_build_object('feature', i.feature_index, 'rule', i.rule, 'reason', i.reason,
                                          'location', ST_AsText(i.location, 7)) ORDER BY i.feature_index, i.rule)
        FROM (SELECT * FROM import_issues WHERE job_id = j.id ORDER BY feature_index, rule LIMIT 100) i), '[]'::json),
    'links', json_build_array(
        json_build_object('rel', 'self', 'type', 'application/json', 'href', '/api/imports/' || j.id),
        json_build_object('rel', 'report', 'type', 'application/json', 'href', '/api/imports/' || j.id || '/report'))
)::text
FROM import_jobs j
JOIN cities c ON c.id = j.city_id
WHERE j.id = $1;
