INSERT INTO settlements (city_id, code, name, population, households, source, surveyed_on, attributes, geom)
SELECT $1, code, coalesce(name, code), population, households, source, surveyed_on, attributes,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(geom)), 3))
FROM stage
ORDER BY ord;
