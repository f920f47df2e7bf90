INSERT INTO districts (city_id, code, name, population, households, attributes, geom)
SELECT $1, code, coalesce(name, code), population, households, attributes,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(geom)), 3))
FROM stage
ORDER BY ord;
