-- (Re)builds the noded street graph of a city (parameters: city id, UTM srid, streets layer version, as $1 $2 $3 in
-- the statements below). The steps run in one transaction, separated by "-- step" lines, under a lock per city, and
-- only when street_graphs does not already hold the graph of this streets version and count (the first step answers
-- whether to go on). The city's streets in its UTM zone are snapped to a 1 cm grid and noded where they cross or meet
-- inside a line; each piece is an edge with its length in metres between its two end nodes.
SELECT pg_advisory_xact_lock(hashtext('um_street_graph'), $1),
       NOT EXISTS (SELECT 1 FROM street_graphs g WHERE g.city_id = $1 AND g.srid = $2 AND g.streets_version IS NOT DISTINCT FROM $3
                   AND g.streets = (SELECT count(*) FROM streets WHERE city_id = $1)) AS rebuild;
-- step
DELETE FROM street_graphs WHERE city_id = $1;
-- step
CREATE TEMP TABLE um_graph_lines (id bigint GENERATED ALWAYS AS IDENTITY, g geometry, inner_g geometry) ON COMMIT DROP;
CREATE TEMP TABLE um_graph_segs (g geometry, a bytea, b bytea) ON COMMIT DROP;
CREATE TEMP TABLE um_graph_nodes (id bigint, k bytea) ON COMMIT DROP;
-- step
INSERT INTO um_graph_lines (g, inner_g)
SELECT d.g, ST_LineSubstring(d.g, least(0.005 / ST_Length(d.g), 0.49), greatest(1 - 0.005 / ST_Length(d.g), 0.51))
FROM (SELECT (ST_Dump(ST_SnapToGrid(ST_Transform(geom, $2), 0.01))).geom AS g FROM streets WHERE city_id = $1) d
WHERE ST_NPoints(d.g) > 1 AND ST_Length(d.g) > 0;
-- step
CREATE INDEX ON um_graph_lines USING gist (g);
ANALYZE um_graph_lines;
-- step
-- Only lines that another line meets inside them (a crossing, or a T-junction on them) need noding, with the lines
-- that meet them: ST_Node over just those, instead of over the whole layer (street layers are mostly split at their
-- junctions already, and noding 50,000 segments at once takes some 20 s).
WITH pairs AS MATERIALIZED (
    SELECT a.id AS a, b.id AS b FROM um_graph_lines a JOIN um_graph_lines b ON b.id <> a.id AND a.inner_g && b.g AND ST_Intersects(a.inner_g, b.g)
), tonode AS (
    SELECT a AS id FROM pairs UNION SELECT b FROM pairs
), pieces AS (
    SELECT l.g FROM um_graph_lines l WHERE NOT EXISTS (SELECT 1 FROM tonode t WHERE t.id = l.id)
    UNION ALL
    SELECT (ST_Dump(ST_Node(ST_Collect(l.g)))).geom FROM um_graph_lines l JOIN tonode t ON t.id = l.id HAVING count(*) > 0
)
INSERT INTO um_graph_segs (g, a, b)
SELECT g, ST_AsBinary(ST_StartPoint(g)), ST_AsBinary(ST_EndPoint(g)) FROM pieces WHERE ST_Length(g) > 0;
-- step
INSERT INTO street_graphs (city_id, srid, streets_version, streets, nodes, edges)
SELECT $1, $2, $3, (SELECT count(*) FROM streets WHERE city_id = $1), 0, 0;
-- step
INSERT INTO um_graph_nodes (id, k)
SELECT row_number() OVER (ORDER BY k) AS id, k FROM (SELECT a AS k FROM um_graph_segs UNION SELECT b FROM um_graph_segs) x;
-- step
INSERT INTO street_graph_nodes (city_id, id, geom) SELECT $1, id, ST_GeomFromWKB(k, 0) FROM um_graph_nodes;
-- step
INSERT INTO street_graph_edges (city_id, id, source, target, cost, geom)
SELECT $1, row_number() OVER (), na.id, nb.id, ST_Length(s.g), ST_SetSRID(s.g, 0)
FROM um_graph_segs s JOIN um_graph_nodes na ON na.k = s.a JOIN um_graph_nodes nb ON nb.k = s.b;
-- step
UPDATE street_graphs SET nodes = (SELECT count(*) FROM street_graph_nodes WHERE city_id = $1),
                         edges = (SELECT count(*) FROM street_graph_edges WHERE city_id = $1), built_at = now()
WHERE city_id = $1;
