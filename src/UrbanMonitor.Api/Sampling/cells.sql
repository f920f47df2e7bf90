-- A design's cells as a GeoJSON FeatureCollection (the drawn ones, or the whole frame when $3), streamed from PostGIS.
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
         'type', 'Feature', 'id', c.id,
         'geometry', ST_AsGeoJSON(c.geom, 7)::json,
         'properties', json_build_object('code', sd.code || '/' || c.cell, 'cell', c.cell, 'stratum', c.stratum, 'sampled', c.sampled,
                                         'inclusionProbability', c.inclusion_probability, 'weight', c.weight)) ORDER BY c.cell), '[]'))::text
FROM sample_designs sd JOIN sample_cells c ON c.city_id = sd.city_id AND c.design_id = sd.id
WHERE sd.code = $1 AND (c.sampled OR $2)
