INSERT INTO streets (city_id, name, class, attributes, geom)
SELECT $1, name, kind, attributes, ST_Multi(ST_Force2D(geom))
FROM stage
ORDER BY ord;
