-- SDG 11.2.1 along the street network with pgRouting (parameters: city id, district code or NULL, UTM srid, in that order). The steps run
-- in one transaction, separated by "-- step" lines; their temporary tables are dropped at commit.
-- The graph: the city's streets in its UTM zone, snapped to a 1 cm grid and noded (ST_Node splits them where they
-- cross), one edge per piece with its length in metres, undirected (people walk both ways). Stops and the points on
-- surface of the population units are joined to their nearest graph node by a connector edge as long as the gap, so the
-- walk to and from the street counts. pgr_drivingDistance from all low-capacity stops at once (each node keeps its
-- nearest stop) up to 500 m, and from all high-capacity stops up to 1,000 m; a unit has access when its point is reached.
CREATE TEMP TABLE um_route_segs (id bigint GENERATED ALWAYS AS IDENTITY, g geometry, a bytea, b bytea) ON COMMIT DROP;
CREATE TEMP TABLE um_route_nodes (id bigint GENERATED ALWAYS AS IDENTITY, key bytea UNIQUE, geom geometry) ON COMMIT DROP;
CREATE TEMP TABLE um_route_edges (id bigint, source bigint, target bigint, cost double precision) ON COMMIT DROP;
CREATE TEMP TABLE um_route_stops (vid bigint, reach double precision) ON COMMIT DROP;
CREATE TEMP TABLE um_route_units (vid bigint, source text, id bigint, code text, population double precision, pt geometry) ON COMMIT DROP;
-- step
INSERT INTO um_route_segs (g, a, b)
SELECT s.g, ST_AsBinary(ST_StartPoint(s.g)), ST_AsBinary(ST_EndPoint(s.g))
FROM (SELECT (ST_Dump(ST_Node(ST_Collect(d.g)))).geom AS g
      FROM (SELECT (ST_Dump(ST_SnapToGrid(ST_Transform(geom, $3), 0.01))).geom AS g FROM streets WHERE city_id = $1) d
      WHERE ST_NPoints(d.g) > 1) s
WHERE ST_Length(s.g) > 0;
-- step
INSERT INTO um_route_nodes (key, geom)
SELECT k, ST_GeomFromWKB(k, $3) FROM (SELECT a AS k FROM um_route_segs UNION SELECT b FROM um_route_segs) x;
-- step
INSERT INTO um_route_edges (id, source, target, cost)
SELECT s.id, na.id, nb.id, ST_Length(s.g)
FROM um_route_segs s JOIN um_route_nodes na ON na.key = s.a JOIN um_route_nodes nb ON nb.key = s.b;
-- step
CREATE INDEX ON um_route_nodes USING gist (geom);
ANALYZE um_route_nodes;
-- step
WITH s AS (
    INSERT INTO um_route_stops (vid, reach)
    SELECT 1000000000000 + id, CASE capacity WHEN 'high' THEN 1000.0 ELSE 500.0 END FROM transit_stops
    WHERE city_id = $1 AND coalesce(peak_departures, 1) > 0
    RETURNING vid)
INSERT INTO um_route_edges (id, source, target, cost)
SELECT t.id + 1000000000000, t.id + 1000000000000, n.id, n.d
FROM transit_stops t, s, LATERAL (SELECT id, ST_Distance(geom, ST_Transform(t.geom, $3)) AS d FROM um_route_nodes
                                  ORDER BY geom <-> ST_Transform(t.geom, $3) LIMIT 1) n
WHERE s.vid = t.id + 1000000000000 AND t.city_id = $1;
-- step
INSERT INTO um_route_units (vid, source, id, code, population, pt)
SELECT 2000000000000 + row_number() OVER (ORDER BY source, id), source, id, code, population, ST_PointOnSurface(g)
FROM um_indicator_units($1, $2, $3);
-- step
INSERT INTO um_route_edges (id, source, target, cost)
SELECT u.vid, u.vid, n.id, n.d
FROM um_route_units u, LATERAL (SELECT id, ST_Distance(geom, u.pt) AS d FROM um_route_nodes ORDER BY geom <-> u.pt LIMIT 1) n;
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
