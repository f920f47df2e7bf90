-- SDG 11.2.1, one row per population unit and scope it counts in ($1 city id, $2 district code or NULL, $3 UTM srid,
-- $5 every: the city and each district at once; scope '' is the city): its population, the share of its area within
-- 500 m (straight line) of a low-capacity stop or 1 km of a high-capacity stop, and the stops reaching it. Each unit's
-- share is computed once, whatever the number of scopes it counts in. Stops whose GTFS timetable gives no peak-hour
-- departure are left out. Population comes from population units when the city has them, else from districts, spread
-- evenly over each unit's area. The indicator is sum(population × reached share) / sum(population) over a scope's
-- rows, so they add up to it (the explain view).
WITH scoped AS MATERIALIZED (SELECT * FROM um_indicator_scope_units($1, $2, $5, $3)),
units AS (SELECT DISTINCT ON (source, id) source, id, code, population, g FROM scoped ORDER BY source, id),
stops AS MATERIALIZED (
    SELECT ST_Transform(geom, $3) AS p, capacity, CASE capacity WHEN 'high' THEN 1000.0 ELSE 500.0 END AS reach
    FROM transit_stops
    WHERE city_id = $1 AND coalesce(peak_departures, 1) > 0),
covered AS (
    SELECT u.source, u.id, u.population, ST_Area(u.g) AS area,
           (SELECT count(*) FROM stops s WHERE ST_DWithin(s.p, u.g, s.reach)) AS stops_reaching,
           coalesce(ST_Area(ST_Intersection(u.g, ST_Union(
               coalesce((SELECT ST_Buffer(ST_Collect(p), 500, 'quad_segs=8') FROM stops WHERE capacity = 'low' AND ST_DWithin(p, u.g, 500)), ST_SetSRID('POLYGON EMPTY'::geometry, $3)),
               coalesce((SELECT ST_Buffer(ST_Collect(p), 1000, 'quad_segs=8') FROM stops WHERE capacity = 'high' AND ST_DWithin(p, u.g, 1000)), ST_SetSRID('POLYGON EMPTY'::geometry, $3))))), 0) AS reached
    FROM units u)
SELECT s.scope, s.source, s.id, s.code, c.population,
       coalesce(c.reached / nullif(c.area, 0), 0)::double precision AS reached_share,
       (c.population * coalesce(c.reached / nullif(c.area, 0), 0))::double precision AS with_access,
       c.stops_reaching
FROM scoped s JOIN covered c ON c.source = s.source AND c.id = s.id
ORDER BY s.scope, s.code;
