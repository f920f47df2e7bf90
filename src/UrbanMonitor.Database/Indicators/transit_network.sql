-- SDG 11.2.1 along the street network with pgRouting (parameters: city id, district code or NULL, UTM srid, in that order). The steps run
-- in one transaction, separated by "-- step" lines; their temporary tables are dropped at commit.
-- The graph is the city's noded street graph (street_graphs, built by street_graph.sql; SRID 0, in the UTM zone), undirected (people walk both
-- ways); for a district only its edges within 1.5 km of the district's extent (no walk of 1 km or less to a unit inside
-- it leaves that box). Stops and the points on surface of the population units are joined to their nearest graph node by
-- a connector edge as long as the gap, so the walk to and from the street counts. pgr_drivingDistance from all
-- low-capacity stops at once (each node keeps its nearest stop) up to 500 m, and from all high-capacity stops up to
-- 1,000 m; a unit has access when its point is reached.
CREATE TEMP TABLE um_route_edges (id bigint, source bigint, target bigint, cost double precision) ON COMMIT DROP;
CREATE TEMP TABLE um_route_stops (vid bigint, reach double precision) ON COMMIT DROP;
CREATE TEMP TABLE um_route_units (vid bigint, source text, id bigint, code text, population double precision, pt geometry) ON COMMIT DROP;
-- step
INSERT INTO um_route_edges (id, source, target, cost)
SELECT e.id, e.source, e.target, e.cost FROM street_graph_edges e
WHERE e.city_id = $1
  AND ($2::text IS NULL OR e.geom && (SELECT ST_SetSRID(ST_Expand(ST_Transform(ST_SetSRID(ST_Extent(d.geom)::geometry, 4326), $3), 1500), 0)
                                      FROM districts d WHERE d.city_id = $1 AND d.code = $2));
-- step
WITH s AS (
    INSERT INTO um_route_stops (vid, reach)
    SELECT 1000000000000 + id, CASE capacity WHEN 'high' THEN 1000.0 ELSE 500.0 END FROM transit_stops
    WHERE city_id = $1 AND coalesce(peak_departures, 1) > 0
    RETURNING vid)
INSERT INTO um_route_edges (id, source, target, cost)
SELECT t.id + 1000000000000, t.id + 1000000000000, n.id, n.d
FROM transit_stops t, s, LATERAL (SELECT ST_SetSRID(ST_Transform(t.geom, $3), 0) AS p) tp,
     LATERAL (SELECT id, ST_Distance(geom, tp.p) AS d FROM street_graph_nodes WHERE city_id = $1 ORDER BY geom <-> tp.p LIMIT 1) n
WHERE s.vid = t.id + 1000000000000 AND t.city_id = $1;
-- step
INSERT INTO um_route_units (vid, source, id, code, population, pt)
SELECT 2000000000000 + row_number() OVER (ORDER BY source, id), source, id, code, population, ST_SetSRID(ST_PointOnSurface(g), 0)
FROM um_indicator_units($1, $2, $3);
-- step
INSERT INTO um_route_edges (id, source, target, cost)
SELECT u.vid, u.vid, n.id, n.d
FROM um_route_units u, LATERAL (SELECT id, ST_Distance(geom, u.pt) AS d FROM street_graph_nodes
                                WHERE city_id = $1 ORDER BY geom <-> u.pt LIMIT 1) n;
-- step
WITH starts AS (
    SELECT reach, array_agg(vid) AS vids FROM um_route_stops GROUP BY reach
), reached AS (
    SELECT d.node, min(d.agg_cost) AS walk
    FROM starts, LATERAL pgr_drivingDistance('SELECT id, source, target, cost FROM um_route_edges', starts.vids, starts.reach,
                                             directed => false, equicost => true) d
    GROUP BY d.node
)
SELECT u.source, u.id, u.code, u.population,
       (r.node IS NOT NULL)::int::double precision AS reached_share,
       CASE WHEN r.node IS NOT NULL THEN u.population ELSE 0 END::double precision AS with_access,
       round(r.walk::numeric, 1)::double precision AS walk_m
FROM um_route_units u LEFT JOIN reached r ON r.node = u.vid
ORDER BY u.code;
