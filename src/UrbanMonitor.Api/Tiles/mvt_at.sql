-- The properties layer of one vector tile as the registry was at an instant: $1 z, $2 x, $3 y, $4 feature cap,
-- $5 MVT layer name, $6 the instant. Versions are read from property_versions (EPSG:4326, transformed here), with the
-- same columns, order and cap as the current tile, so an unchanged tile has the same bytes.
SELECT ST_AsMVT(t, $5, 4096, 'geom', 'id')
FROM (
    SELECT v.property_id AS id, v.code, v.status, v.district_code, v.block, v.parcel,
           ST_AsMVTGeom(tiles_web_mercator(v.geom), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
    FROM property_versions v
    WHERE v.geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326)
      AND v.valid_from <= $6 AND (v.valid_to IS NULL OR v.valid_to > $6)
    ORDER BY v.property_id
    LIMIT $4
) t
WHERE t.geom IS NOT NULL;
