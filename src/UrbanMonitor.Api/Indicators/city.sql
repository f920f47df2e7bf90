-- The city ($1 slug) and, when $2 names one, the district; the UTM zone of the city for metric buffers.
SELECT c.id, d.code,
       (SELECT CASE WHEN ST_Y(ST_Centroid(e)) >= 0 THEN 32600 ELSE 32700 END + least(60, floor((ST_X(ST_Centroid(e)) + 180) / 6)::int + 1)
        FROM (SELECT ST_Extent(geom)::geometry AS e FROM districts WHERE city_id = c.id) x) AS utm
FROM cities c
LEFT JOIN districts d ON d.city_id = c.id AND d.code = $2
WHERE c.slug = $1;
