INSERT INTO layer_sources (city_id, layer, source, licence, url)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (city_id, layer) DO UPDATE
SET source = excluded.source, licence = excluded.licence, url = excluded.url, loaded_at = now();
