-- Display period $1: its public JSON, slug, city, end, status and the districts of its claims.
SELECT json_build_object('id', d.id, 'city', c.slug, 'district', d.district_code, 'startsAt', d.starts_at, 'endsAt', d.ends_at,
                         'status', d.status, 'closedAt', d.closed_at,
                         'claims', (SELECT count(*) FROM display_claims WHERE display_id = d.id),
                         'registered', (SELECT count(*) FROM display_claims WHERE display_id = d.id AND outcome = 'registered'),
                         'held', (SELECT count(*) FROM display_claims WHERE display_id = d.id AND outcome = 'held'),
                         'page', '/displays/' || d.id, 'claimsUrl', '/api/displays/' || d.id || '/claims')::text,
       c.slug, d.city_id, d.ends_at, d.status,
       coalesce((SELECT array_agg(DISTINCT p.district_code) FROM display_claims dc JOIN properties p ON p.city_id = dc.city_id AND p.id = dc.property_id
                 WHERE dc.display_id = d.id), '{}')
FROM display_periods d JOIN cities c ON c.id = d.city_id
WHERE d.id = $1;
