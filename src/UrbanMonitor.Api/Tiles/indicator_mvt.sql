-- The indicators layer of one vector tile: every district that has a stored result of indicator $5, with its value
-- (a choropleth). $1 z, $2 x, $3 y (XYZ), $4 feature cap. Districts of a city never recomputed have no row and are
-- left out. The MVT layer is named 'indicators'; the feature id is the district's id.
SELECT ST_AsMVT(t, 'indicators', 4096, 'geom', 'id')
FROM (
    SELECT d.id, d.code, d.name, r.code AS indicator, r.value, r.unit, r.reason,
           ST_AsMVTGeom(d.geom3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
    FROM districts d
    JOIN indicator_results r ON r.city_id = d.city_id AND r.district_code = d.code AND r.code = $5
    WHERE d.geom3857 && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)
    ORDER BY d.id
    LIMIT $4
) t
WHERE t.geom IS NOT NULL;
