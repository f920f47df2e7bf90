-- What TileJSON needs of one indicator's choropleth ($1 indicator code): its data version (layer
-- 'indicators:{code}', bumped when a stored district value changes, 0090_indicator_tiles.sql), the districts' sources,
-- and the extent (EPSG:4326) of the districts that have a stored result.
SELECT
    (SELECT version FROM layer_versions WHERE layer = 'indicators:' || $1),
    (SELECT string_agg(DISTINCT s.source || ' — licence: ' || s.licence, '; ' ORDER BY s.source || ' — licence: ' || s.licence)
     FROM layer_sources s WHERE s.layer = 'districts'),
    ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(d.geom) AS e FROM districts d
      JOIN indicator_results r ON r.city_id = d.city_id AND r.district_code = d.code AND r.code = $1) x;
