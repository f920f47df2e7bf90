INSERT INTO facilities (city_id, kind, name, attributes, geom)
SELECT $1, kind, name, attributes, ST_Force2D(geom)
FROM stage
ORDER BY ord;
