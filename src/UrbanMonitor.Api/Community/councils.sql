-- A city's councils ($1 slug), without geometry (the councils layer has it) and without personal data; null when the
-- city does not exist.
SELECT json_build_object('city', ci.slug, 'councils', coalesce((
    SELECT json_agg(json_build_object(
        'id', c.id, 'code', c.code, 'name', c.name, 'district', c.district_code, 'gozar', g.code,
        'electedOn', c.elected_on, 'status', c.status, 'members', c.members, 'women', c.women, 'displaced', c.displaced,
        'composition', c.composition, 'areaM2', round(ST_Area(c.geom::geography)::numeric, 1)) ORDER BY c.code)
    FROM councils c LEFT JOIN community_gozars g ON g.city_id = c.city_id AND g.id = c.gozar_id
    WHERE c.city_id = ci.id), '[]'))::text
FROM cities ci WHERE ci.slug = $1;
