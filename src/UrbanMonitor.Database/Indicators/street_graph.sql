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
CREATE TEMP TABLE um_graph_tonode (id bigint) ON COMMIT DROP;
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
-- junctions already, and noding 50,000 segments at once takes some 20 s). Finding the pairs: each line is put in the
-- 100 m cells its box touches and compared with the lines of the same cells (a hash join on the cell, then the exact
-- boxes in double precision, then ST_Intersects); one GiST probe per line took 6-7 s on 100,000 segments, as the
-- index's single-precision boxes make every neighbour at a junction a candidate. Lines whose box spans more than 16
-- cells are matched through the index instead, both ways, so a long line does not fill thousands of cells.
WITH sized AS (
    SELECT l.id, l.g, l.inner_g, ST_XMin(l.g) AS x0, ST_XMax(l.g) AS x1, ST_YMin(l.g) AS y0, ST_YMax(l.g) AS y1,
           ST_XMin(l.inner_g) AS ix0, ST_XMax(l.inner_g) AS ix1, ST_YMin(l.inner_g) AS iy0, ST_YMax(l.inner_g) AS iy1,
           (floor(ST_XMax(l.g) / 100) - floor(ST_XMin(l.g) / 100) + 1) * (floor(ST_YMax(l.g) / 100) - floor(ST_YMin(l.g) / 100) + 1) <= 16 AS small
    FROM um_graph_lines l
), cells AS MATERIALIZED (
    SELECT s.*, cx, cy FROM sized s,
         LATERAL generate_series(floor(s.x0 / 100)::int, floor(s.x1 / 100)::int) cx,
         LATERAL generate_series(floor(s.y0 / 100)::int, floor(s.y1 / 100)::int) cy
    WHERE s.small
), large AS MATERIALIZED (
    SELECT id, g, inner_g FROM sized WHERE NOT small
), pairs AS MATERIALIZED (
    SELECT a.id AS a, b.id AS b FROM cells a JOIN cells b ON b.cx = a.cx AND b.cy = a.cy AND b.id <> a.id
    WHERE a.ix0 <= b.x1 AND a.ix1 >= b.x0 AND a.iy0 <= b.y1 AND a.iy1 >= b.y0 AND ST_Intersects(a.inner_g, b.g)
    UNION ALL
    SELECT a.id, b.id FROM large a JOIN um_graph_lines b ON b.id <> a.id AND a.inner_g && b.g AND ST_Intersects(a.inner_g, b.g)
    UNION ALL
    SELECT a.id, b.id FROM large b JOIN um_graph_lines a ON a.id <> b.id AND a.g && b.g AND ST_Intersects(a.inner_g, b.g)
)
INSERT INTO um_graph_tonode (id) SELECT a FROM pairs UNION SELECT b FROM pairs;
-- step
ANALYZE um_graph_tonode;
-- step
WITH pieces AS (
    SELECT l.g FROM um_graph_lines l WHERE NOT EXISTS (SELECT 1 FROM um_graph_tonode t WHERE t.id = l.id)
    UNION ALL
    SELECT (ST_Dump(ST_Node(ST_Collect(l.g)))).geom FROM um_graph_lines l JOIN um_graph_tonode t ON t.id = l.id HAVING count(*) > 0
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
