-- Every issue of an import ($1: job id), one JSON object per row, in feature order.
SELECT json_build_object('feature', feature_index, 'rule', rule, 'reason', reason, 'location', ST_AsText(location, 7))::text
FROM import_issues
WHERE job_id = $1
ORDER BY feature_index, rule;
