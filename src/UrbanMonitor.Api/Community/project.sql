-- One project as JSON ($1 id). Staff ($2 true) also see the contractor, the payments and who recorded them.
SELECT json_build_object(
    'id', p.id, 'code', p.code, 'city', ci.slug, 'council', json_build_object('id', c.id, 'code', c.code, 'name', c.name),
    'name', p.name, 'type', p.type, 'executingParty', p.executing_party,
    'contractor', CASE WHEN $2 THEN p.contractor END,
    'contractAmount', p.contract_amount, 'disbursed', p.disbursed, 'remaining', p.contract_amount - p.disbursed,
    'status', p.status, 'beneficiaries', p.beneficiaries,
    'jobs', json_build_object('personDays', p.person_days, 'womenPersonDays', p.women_person_days,
                              'womenShare', CASE WHEN p.person_days > 0 THEN round(p.women_person_days::numeric / p.person_days, 4) END),
    'statusHistory', (SELECT json_agg(json_build_object('from', s.from_status, 'to', s.to_status, 'reason', s.reason, 'at', s.at) ORDER BY s.id)
                      FROM community_project_status_changes s WHERE s.city_id = p.city_id AND s.project_id = p.id),
    'disbursements', CASE WHEN $2 THEN (
        SELECT coalesce(json_agg(json_build_object('id', d.id, 'amount', d.amount, 'paidOn', d.paid_on, 'tranche', d.tranche,
                                                    'recordedBy', d.recorded_by) ORDER BY d.paid_on, d.id), '[]')
        FROM community_disbursements d WHERE d.city_id = p.city_id AND d.project_id = p.id) END,
    'socialAudits', (SELECT coalesce(json_agg(json_build_object('id', a.id, 'heldOn', a.held_on, 'participants', a.participants,
                                                                 'womenParticipants', a.women_participants, 'rating', a.rating,
                                                                 'findings', a.findings) ORDER BY a.held_on, a.id), '[]')
                     FROM community_social_audits a WHERE a.city_id = p.city_id AND a.project_id = p.id),
    'geometry', ST_AsGeoJSON(p.geom, 7)::json
)::text
FROM projects p
JOIN councils c ON c.city_id = p.city_id AND c.id = p.council_id
JOIN cities ci ON ci.id = p.city_id
WHERE p.id = $1;
