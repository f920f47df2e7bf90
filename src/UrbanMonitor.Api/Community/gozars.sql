-- A city's Gozar assemblies ($1 slug) with their councils and boundary: the drawn one, else the union of its councils.
SELECT json_build_object('city', ci.slug, 'gozars', coalesce((
    SELECT json_agg(json_build_object(
        'id', g.id, 'code', g.code, 'name', g.name,
        'councils', (SELECT coalesce(json_agg(c.code ORDER BY c.code), '[]') FROM councils c WHERE c.city_id = g.city_id AND c.gozar_id = g.id),
        'boundary', CASE WHEN g.geom IS NOT NULL THEN 'drawn' ELSE 'union of its councils' END,
        'geometry', ST_AsGeoJSON(coalesce(g.geom, (SELECT ST_Multi(ST_Union(c.geom)) FROM councils c
                                                   WHERE c.city_id = g.city_id AND c.gozar_id = g.id AND c.status = 'active')), 7)::json)
        ORDER BY g.code)
    FROM community_gozars g WHERE g.city_id = ci.id), '[]'))::text
FROM cities ci WHERE ci.slug = $1;
