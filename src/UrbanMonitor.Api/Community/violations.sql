-- The active councils of a city ($1 slug) that break the composition rule (at least one woman and one representative
-- of displaced people among the current members), with the rules each breaks; null when the city does not exist.
SELECT json_build_object('city', ci.slug,
    'rule', 'Every council includes at least one woman and one representative of displaced people among its current members.',
    'violations', coalesce((
        SELECT json_agg(json_build_object('id', c.id, 'code', c.code, 'name', c.name, 'district', c.district_code,
                                          'members', c.members, 'women', c.women, 'displaced', c.displaced,
                                          'violations', community_composition_violations(c.women, c.displaced)) ORDER BY c.code)
        FROM councils c WHERE c.city_id = ci.id AND c.status = 'active' AND c.composition <> 'ok'), '[]'))::text
FROM cities ci WHERE ci.slug = $1;
