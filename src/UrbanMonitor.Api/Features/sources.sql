-- Source and licence of every layer of every city, for the collections' descriptions and license links.
SELECT l.layer, c.slug, c.name, l.source, l.licence, l.url
FROM layer_sources l
JOIN cities c ON c.id = l.city_id
ORDER BY l.layer, c.slug;
