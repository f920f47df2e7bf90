-- The city ($1 slug) and, when $2 names one, the district; the UTM zone of the city for metric buffers.
SELECT c.id, d.code,
       (SELECT um_utm_srid(ST_SetSRID(ST_Extent(geom)::geometry, 4326)) FROM districts WHERE city_id = c.id) AS utm
FROM cities c
LEFT JOIN districts d ON d.city_id = c.id AND d.code = $2
WHERE c.slug = $1;
