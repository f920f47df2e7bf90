-- The district an offline package covers: $1 city slug, $2 district code. No row: no such city;
-- a row with a NULL district: the city exists but not the district. Extent in EPSG:4326 degrees.
SELECT c.name, d.name, ST_XMin(d.geom), ST_YMin(d.geom), ST_XMax(d.geom), ST_YMax(d.geom)
FROM cities c
LEFT JOIN districts d ON d.city_id = c.id AND d.code = $2
WHERE c.slug = $1;
