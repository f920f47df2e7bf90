-- Project $1 as it was at $2, from its history (community_versions): money, status (and the reason of its last move),
-- jobs; the contractor and the source file's attributes only for staff ($3); no row when it did not exist yet.
SELECT json_build_object(
    'id', $1::bigint, 'asOf', $2::timestamptz, 'code', s ->> 'code',
    'council', (SELECT json_build_object('id', c.id, 'code', c.code, 'name', c.name) FROM councils c WHERE c.id = (s ->> 'council_id')::bigint),
    'name', s ->> 'name', 'type', s ->> 'type', 'executingParty', s ->> 'executing_party',
    'contractor', CASE WHEN $3 THEN s ->> 'contractor' END,
    'contractAmount', (s ->> 'contract_amount')::numeric, 'disbursed', (s ->> 'disbursed')::numeric,
    'remaining', (s ->> 'contract_amount')::numeric - (s ->> 'disbursed')::numeric,
    'status', s ->> 'status', 'statusReason', s ->> 'status_reason', 'beneficiaries', s -> 'beneficiaries',
    'jobs', json_build_object('personDays', s -> 'person_days', 'womenPersonDays', s -> 'women_person_days'),
    'attributes', CASE WHEN $3 THEN s -> 'attributes' END,
    'geometry', s -> 'geom'
)::text
FROM (SELECT v.after AS s FROM community_versions('projects', $1) v
      WHERE v.at <= $2 AND v.after IS NOT NULL ORDER BY v.at DESC, v.entry DESC NULLS LAST LIMIT 1) x;
