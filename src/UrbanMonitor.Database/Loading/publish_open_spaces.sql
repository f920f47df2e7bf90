INSERT INTO open_spaces (city_id, name, kind, attributes, geom)
SELECT $1, name, kind, attributes, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(geom)), 3))
FROM stage
ORDER BY ord;
