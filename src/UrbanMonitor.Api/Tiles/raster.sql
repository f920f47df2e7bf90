-- Geometries of one layer for drawing one raster tile. $1 z, $2 x, $3 y, $4 feature cap, $5 extent (pixels × 16).
-- Coordinates come back clipped and in tile units (origin top left, y down), as WKB; {{label}} is a catalogue column
-- (or NULL). The label anchor is a point on the whole (unclipped) shape, so every tile puts a label at the same place.
SELECT t.id, ST_AsBinary(t.geom), t.label, ST_X(t.anchor), ST_Y(t.anchor)
FROM (
    SELECT id, {{label}} AS label,
           ST_AsMVTGeom(geom3857, ST_TileEnvelope($1, $2, $3), $5, $5 / 16, true) AS geom,
           CASE WHEN {{label}} IS NOT NULL
                THEN ST_AsMVTGeom(ST_PointOnSurface(geom3857), ST_TileEnvelope($1, $2, $3), $5, $5, false) END AS anchor
    FROM {{table}}
    WHERE geom3857 && ST_TileEnvelope($1, $2, $3, margin => 1.0 / 16)
    ORDER BY id
    LIMIT $4
) t
WHERE t.geom IS NOT NULL
ORDER BY t.id;
