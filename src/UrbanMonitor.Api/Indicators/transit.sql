-- SDG 11.2.1 inputs ($1 city id, $2 district code or NULL, $3 UTM srid): population within 500 m (straight line) of a
-- low-capacity stop or 1 km of a high-capacity stop, stops with no peak-hour departure (GTFS) left out. Population
-- comes from population units when the city has them, else from districts, spread evenly over each unit's area.
WITH scope AS (SELECT ST_Union(geom) AS g FROM districts WHERE city_id = $1 AND ($2::text IS NULL OR code = $2)),
units AS (
    SELECT u.population, ST_Transform(u.geom, $3) AS g, 'population-units' AS source
    FROM population_units u, scope
    WHERE u.city_id = $1 AND EXISTS (SELECT 1 FROM population_units WHERE city_id = $1)
      AND ($2::text IS NULL OR ST_Intersects(ST_PointOnSurface(u.geom), scope.g))
    UNION ALL
    SELECT d.population, ST_Transform(d.geom, $3), 'districts'
    FROM districts d
    WHERE d.city_id = $1 AND ($2::text IS NULL OR d.code = $2) AND d.population IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM population_units WHERE city_id = $1)),
stops AS (
    SELECT ST_Transform(geom, $3) AS p, capacity FROM transit_stops
    WHERE city_id = $1 AND coalesce(peak_departures, 1) > 0),
covered AS (
    SELECT u.population, ST_Area(u.g) AS area,
           coalesce(ST_Area(ST_Intersection(u.g, ST_Union(
               coalesce((SELECT ST_Buffer(ST_Collect(p), 500, 'quad_segs=8') FROM stops WHERE capacity = 'low' AND ST_DWithin(p, u.g, 500)), ST_SetSRID('POLYGON EMPTY'::geometry, $3)),
               coalesce((SELECT ST_Buffer(ST_Collect(p), 1000, 'quad_segs=8') FROM stops WHERE capacity = 'high' AND ST_DWithin(p, u.g, 1000)), ST_SetSRID('POLYGON EMPTY'::geometry, $3))))), 0) AS reached,
           u.source
    FROM units u)
SELECT sum(population * reached / nullif(area, 0))::double precision AS with_access,
       sum(population)::double precision AS population,
       count(*) AS units,
       min(source) AS population_source,
       (SELECT count(*) FROM stops) AS stops_used,
       (SELECT count(*) FROM transit_stops WHERE city_id = $1 AND peak_departures = 0) AS stops_without_peak_service,
       (SELECT count(*) FROM transit_stops WHERE city_id = $1 AND peak_departures IS NOT NULL) AS stops_with_timetable
FROM covered;
