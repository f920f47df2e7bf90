INSERT INTO population_units (city_id, code, population, year, attributes, geom)
SELECT $1, code, population, year, attributes, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(geom)), 3))
FROM stage
ORDER BY ord;
