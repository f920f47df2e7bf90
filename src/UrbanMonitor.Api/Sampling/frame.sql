-- Builds a design's sampling frame into the temporary table um_frame (cell, stratum, geom), from which the cells are
-- written to sample_cells once drawn, in one INSERT (no UPDATE of the drawn cells afterwards): a square or hexagonal
-- grid in the city's UTM zone over the urban extent (the built-up layer of an epoch, or the union of the districts),
-- keeping the cells whose centre lies in the extent, each with its stratum. $1 city id, $2 design id, $3 extent source ('built-up' | 'districts'), $4 epoch, $5 shape,
-- $6 grid size in metres (square side or hexagon edge), $7 stratification. Returns the UTM SRID used.
WITH src AS (
    SELECT ST_UnaryUnion(ST_Collect(geom)) AS u
    FROM (SELECT geom FROM built_up WHERE city_id = $1 AND epoch = $4 AND $3 = 'built-up'
          UNION ALL
          SELECT geom FROM districts WHERE city_id = $1 AND $3 = 'districts') s
), ext AS (
    SELECT um_utm_srid(u) AS srid, ST_Transform(u, um_utm_srid(u)) AS g FROM src WHERE u IS NOT NULL
), grid AS (
    SELECT c.i, c.j, c.geom FROM ext, ST_SquareGrid($6, ext.g) c WHERE $5 = 'square'
    UNION ALL
    SELECT c.i, c.j, c.geom FROM ext, ST_HexagonGrid($6, ext.g) c WHERE $5 = 'hexagon'
), kept AS (
    SELECT row_number() OVER (ORDER BY g.i, g.j)::int AS cell, ST_Transform(g.geom, 4326) AS geom,
           ST_Transform(ST_Centroid(g.geom), 4326) AS centre
    FROM grid g, ext WHERE ST_Intersects(ext.g, ST_Centroid(g.geom))
), units AS MATERIALIZED (
    SELECT geom, population / nullif(ST_Area(geom::geography) / 1e6, 0) AS density
    FROM population_units WHERE city_id = $1 AND $7 = 'density'
), ins AS (
    INSERT INTO um_frame (cell, stratum, geom)
    SELECT k.cell,
           CASE $7
             WHEN 'district' THEN coalesce((SELECT d.code FROM districts d WHERE d.city_id = $1 AND ST_Intersects(d.geom, k.centre)
                                            ORDER BY d.code LIMIT 1), 'outside-districts')
             WHEN 'settlement' THEN CASE WHEN EXISTS (SELECT 1 FROM settlements s WHERE s.city_id = $1 AND ST_Intersects(s.geom, k.centre))
                                         THEN 'inside-settlements' ELSE 'outside-settlements' END
             WHEN 'density' THEN coalesce((SELECT CASE WHEN u.density < 5000 THEN 'density-low' WHEN u.density < 15000 THEN 'density-medium'
                                                       ELSE 'density-high' END
                                           FROM units u WHERE ST_Intersects(u.geom, k.centre) LIMIT 1), 'density-unknown')
             ELSE 'all'
           END,
           ST_SetSRID(k.geom, 4326)
    FROM kept k
    RETURNING 1
)
SELECT (SELECT srid FROM ext), (SELECT count(*) FROM ins)::int
