-- The public GeoJSON of display period $1: each claim's code, geometry, area, the names of its claimants (holders of
-- ownership-like rights while the period ran: now while it is open, at its closing once closed, so whoever acquires the
-- property later is never published here; no ID numbers, contacts or shares), how many objections it has and its outcome.
SELECT json_build_object(
    'type', 'FeatureCollection',
    'display', json_build_object('id', d.id, 'startsAt', d.starts_at, 'endsAt', d.ends_at, 'status', d.status),
    'features', coalesce((
        SELECT json_agg(json_build_object(
            'type', 'Feature', 'id', p.id, 'geometry', ST_AsGeoJSON(p.geom, 9)::json,
            'properties', json_build_object(
                'code', p.code, 'areaM2', round(ST_Area(p.geom::geography)::numeric, 2),
                'claimants', (SELECT coalesce(json_agg(pa.name ORDER BY pa.name), '[]') FROM rights r
                              JOIN parties pa ON pa.city_id = r.city_id AND pa.id = r.party_id
                              WHERE r.city_id = p.city_id AND r.property_id = p.id
                                AND r.valid_from <= least(coalesce(d.closed_at, now()), now())
                                AND (r.valid_to IS NULL OR r.valid_to > least(coalesce(d.closed_at, now()), now()))
                                AND r.kind IN ('ownership', 'occupancy-certificate', 'customary', 'informal-occupancy')),
                'objections', (SELECT count(*) FROM disputes ds WHERE ds.property_id = p.id AND ds.display_id = d.id),
                'outcome', dc.outcome)) ORDER BY p.code)
        FROM display_claims dc JOIN properties p ON p.city_id = dc.city_id AND p.id = dc.property_id
        WHERE dc.display_id = d.id), '[]'))::text
FROM display_periods d WHERE d.id = $1;
