INSERT INTO built_up (city_id, epoch, attributes, geom)
SELECT $1, year, attributes, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(geom)), 3))
FROM stage
ORDER BY ord;
