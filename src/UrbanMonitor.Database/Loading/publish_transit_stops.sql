INSERT INTO transit_stops (city_id, code, name, capacity, mode, peak_departures, attributes, geom)
SELECT $1, code, name, capacity, mode, peak_departures, attributes, ST_Force2D(geom)
FROM stage
ORDER BY ord;
