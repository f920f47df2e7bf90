-- The city ($1 slug): its id, the UTM zone of its districts for metric buffers, and its district codes.
SELECT c.id,
       (SELECT um_utm_srid(ST_SetSRID(ST_Extent(geom)::geometry, 4326)) FROM districts WHERE city_id = c.id) AS utm,
       (SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM districts WHERE city_id = c.id) AS districts
FROM cities c
WHERE c.slug = $1;
