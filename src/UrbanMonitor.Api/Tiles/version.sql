-- The data version of one layer ($1 layer id).
SELECT version FROM layer_versions WHERE layer = $1;
