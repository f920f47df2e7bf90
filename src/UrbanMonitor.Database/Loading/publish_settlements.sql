-- year: the survey round (NULL: the settlements_round trigger takes the survey date's year).
INSERT INTO settlements (city_id, code, name, population, households, source, surveyed_on, survey_round, attributes, geom)
SELECT $1, code, coalesce(name, code), population, households, source, surveyed_on, year::text, attributes,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(geom)), 3))
FROM stage
ORDER BY ord;
