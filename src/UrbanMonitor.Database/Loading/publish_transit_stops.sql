INSERT INTO transit_stops (city_id, code, name, capacity, mode, attributes, geom)
SELECT $1, code, name, capacity, mode, attributes, ST_Force2D(geom)
FROM stage
ORDER BY ord;
