-- One JSON object per city ($1: a slug, or NULL for all), ordered by slug.
SELECT json_build_object(
    'slug', c.slug,
    'code', c.code,
    'name', c.name,
    'country', c.country,
    'population', coalesce((
        SELECT json_agg(json_build_object('year', p.year, 'population', p.population, 'source', p.source) ORDER BY p.year)
        FROM city_population p WHERE p.city_id = c.id), '[]'::json),
    'counts', json_build_object(
        'districts',     (SELECT count(*) FROM districts d WHERE d.city_id = c.id),
        'settlements',   (SELECT count(*) FROM settlements s WHERE s.city_id = c.id),
        'properties',    (SELECT count(*) FROM properties p WHERE p.city_id = c.id),
        'transit-stops', (SELECT count(*) FROM transit_stops t WHERE t.city_id = c.id)),
    'sources', coalesce((
        SELECT json_object_agg(l.layer, json_build_object('source', l.source, 'licence', l.licence, 'loadedAt', l.loaded_at) ORDER BY l.layer)
        FROM layer_sources l WHERE l.city_id = c.id), '{}'::json),
    'bbox', (
        SELECT CASE WHEN e IS NULL THEN NULL
               ELSE json_build_array(round(ST_XMin(e)::numeric, 6), round(ST_YMin(e)::numeric, 6),
                                     round(ST_XMax(e)::numeric, 6), round(ST_YMax(e)::numeric, 6)) END
        FROM (SELECT ST_Extent(d.geom) AS e FROM districts d WHERE d.city_id = c.id) x),
    'links', json_build_array(
        json_build_object('rel', 'self', 'type', 'application/json', 'href', '/api/cities/' || c.slug))
)::text
FROM cities c
WHERE $1::text IS NULL OR c.slug = $1
ORDER BY c.slug;
