-- One layer of one vector tile, made by PostGIS. $1 z, $2 x, $3 y (XYZ), $4 feature cap, $5 MVT layer name.
-- {{table}} and {{columns}} are identifiers from the layer catalogue, filled in once at start-up; values are parameters.
-- Features are read from the maintained EPSG:3857 copy through its GiST index, with the 64-unit buffer MVT clients
-- expect; the lowest ids win under the cap so a tile is the same bytes until its data changes.
SELECT ST_AsMVT(t, $5, 4096, 'geom', 'id')
FROM (
    SELECT id, {{columns}}, ST_AsMVTGeom(geom3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
    FROM {{table}}
    WHERE geom3857 && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)
    ORDER BY id
    LIMIT $4
) t
WHERE t.geom IS NOT NULL;
