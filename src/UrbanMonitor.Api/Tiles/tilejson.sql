-- What TileJSON needs of one layer: its data version, the attribution of every city's source, and its extent in
-- EPSG:4326 degrees. $1 layer id. {{table}} is a catalogue identifier.
SELECT
    (SELECT version FROM layer_versions WHERE layer = $1),
    (SELECT string_agg(DISTINCT s.source || ' — licence: ' || s.licence, '; ' ORDER BY s.source || ' — licence: ' || s.licence)
     FROM layer_sources s WHERE s.layer = $1),
    ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(geom) AS e FROM {{table}}) x;
