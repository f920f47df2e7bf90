-- kind carries the hazard, name its level.
INSERT INTO hazard_zones (city_id, hazard, level, attributes, geom)
SELECT $1, kind, name, attributes, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(geom)), 3))
FROM stage
ORDER BY ord;
