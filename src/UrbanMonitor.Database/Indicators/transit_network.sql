-- SDG 11.2.1 along the street network with pgRouting (parameters: city id, district code or NULL, UTM srid, every, in that order;
-- every: the city and each district at once, for the full recompute). The steps run in one transaction, separated by
-- "-- step" lines; their temporary tables are dropped at commit.
-- The graph is the city's noded street graph (street_graphs, built by street_graph.sql; SRID 0, in the UTM zone), undirected (people walk both
-- ways); for a district only its edges within 1.5 km of the district's extent (no walk of 1 km or less to a unit inside
-- it leaves that box). Stops and the points on surface of the population units are joined to their nearest graph node by
-- a connector edge as long as the gap, so the walk to and from the street counts. pgr_drivingDistance from all
-- low-capacity stops at once (each node keeps the distance to its nearest stop) up to 500 m, and from all high-capacity
-- stops up to 1,000 m; a unit has access when its point is reached. Each unit is routed once and counted in every scope it belongs
-- to (um_indicator_scope_units); the whole graph routes a unit exactly as a district's box does, since no walk of
-- 1 km or less to a unit leaves the box.
CREATE TEMP TABLE um_route_edges (id bigint, source bigint, target bigint, cost double precision) ON COMMIT DROP;
CREATE TEMP TABLE um_route_stops (vid bigint, reach double precision) ON COMMIT DROP;
CREATE TEMP TABLE um_route_units (vid bigint, source text, id bigint, code text, population double precision, pt geometry) ON COMMIT DROP;
CREATE TEMP TABLE um_route_scopes (scope text, source text, id bigint) ON COMMIT DROP;
CREATE TEMP TABLE um_route_starts (id bigint, source bigint, target bigint, cost double precision, reach double precision) ON COMMIT DROP;
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
INSERT INTO um_route_scopes (scope, source, id) SELECT scope, source, id FROM um_indicator_scope_units($1, $2, $4, $3);
-- step
INSERT INTO um_route_units (vid, source, id, code, population, pt)
SELECT 2000000000000 + row_number() OVER (ORDER BY source, id), source, id, code, population, ST_SetSRID(ST_PointOnSurface(g), 0)
FROM (SELECT DISTINCT ON (source, id) source, id, code, population, g FROM um_indicator_scope_units($1, $2, $4, $3) ORDER BY source, id) u;
-- step
INSERT INTO um_route_edges (id, source, target, cost)
SELECT u.vid, u.vid, n.id, n.d
FROM um_route_units u, LATERAL (SELECT id, ST_Distance(geom, u.pt) AS d FROM street_graph_nodes
                                WHERE city_id = $1 ORDER BY geom <-> u.pt LIMIT 1) n;
-- step
-- One walk per reach from a virtual start joined to each of its stops by a 0 m edge: one search gives every node's
-- distance to its nearest stop (what pgr_drivingDistance from all the stops with equicost gives, without a search per
-- stop). The other reach's virtual edges are left out, so no walk passes through them.
INSERT INTO um_route_starts (id, source, target, cost, reach)
SELECT 3000000000000 + row_number() OVER (), 4000000000000 + reach, vid, 0, reach FROM um_route_stops;
-- step
WITH starts AS (
    SELECT DISTINCT reach FROM um_route_stops
), reached AS (
    SELECT d.node, min(d.agg_cost) AS walk
    FROM starts, LATERAL pgr_drivingDistance(
        format('SELECT id, source, target, cost FROM um_route_edges UNION ALL SELECT id, source, target, cost FROM um_route_starts WHERE reach = %s', starts.reach),
        4000000000000 + starts.reach::bigint, starts.reach, directed => false) d
    GROUP BY d.node
)
SELECT s.scope, u.source, u.id, u.code, u.population,
       (r.node IS NOT NULL)::int::double precision AS reached_share,
       CASE WHEN r.node IS NOT NULL THEN u.population ELSE 0 END::double precision AS with_access,
       round(r.walk::numeric, 1)::double precision AS walk_m
FROM um_route_units u JOIN um_route_scopes s ON s.source = u.source AND s.id = u.id
LEFT JOIN reached r ON r.node = u.vid
ORDER BY s.scope, u.code;
