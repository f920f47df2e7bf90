-- The data version of every layer (bumped by the triggers of 0003_tiles.sql).
SELECT layer, version FROM layer_versions;
