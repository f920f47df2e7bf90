-- The features of one layer that touch one district, public columns only: $1 city slug, $2 district code.
-- {{table}} and {{columns}} are catalogue identifiers. Geometry as WKB in EPSG:4326 with its envelope.
SELECT t.id, {{columns}}, ST_AsBinary(t.geom), ST_XMin(t.geom), ST_YMin(t.geom), ST_XMax(t.geom), ST_YMax(t.geom)
FROM {{table}} t
JOIN districts d ON d.city_id = t.city_id AND d.code = $2
JOIN cities c ON c.id = d.city_id AND c.slug = $1
WHERE ST_Intersects(t.geom, d.geom)
ORDER BY t.id;
