-- Per-cell quantities of a design's cells (all of them, or only the drawn ones when $3), computed in its UTM zone:
-- population by areal interpolation from population-units, built-up area (m²) of the design's epoch (the latest when
-- it has none), settlement population by areal interpolation from settlements, and the live properties whose
-- point on surface lies in the cell. $1 city id, $2 design id, $3 sampled only.
WITH d AS (
    SELECT sd.city_id, sd.id, sd.srid,
           coalesce(sd.epoch, (SELECT max(b.epoch) FROM built_up b WHERE b.city_id = sd.city_id)) AS epoch
    FROM sample_designs sd WHERE sd.city_id = $1 AND sd.id = $2
)
SELECT c.cell, c.stratum, c.sampled,
       coalesce(pop.v, 0) AS population,
       coalesce(bu.v, 0) AS built_up_m2,
       coalesce(sp.v, 0) AS settlement_population,
       coalesce(pr.v, 0) AS properties
FROM d
JOIN sample_cells c ON c.city_id = d.city_id AND c.design_id = d.id AND (c.sampled OR NOT $3)
CROSS JOIN LATERAL (SELECT ST_Transform(c.geom, d.srid) AS g) cg
LEFT JOIN LATERAL (
    SELECT sum(p.population * ST_Area(ST_Intersection(cg.g, t.g)) / nullif(ST_Area(t.g), 0)) AS v
    FROM population_units p CROSS JOIN LATERAL (SELECT ST_Transform(p.geom, d.srid) AS g) t
    WHERE p.city_id = d.city_id AND p.geom && c.geom AND ST_Intersects(p.geom, c.geom)) pop ON true
LEFT JOIN LATERAL (
    SELECT sum(ST_Area(ST_Intersection(cg.g, ST_Transform(b.geom, d.srid)))) AS v
    FROM built_up b WHERE b.city_id = d.city_id AND b.epoch = d.epoch AND b.geom && c.geom AND ST_Intersects(b.geom, c.geom)) bu ON true
LEFT JOIN LATERAL (
    SELECT sum(s.population * ST_Area(ST_Intersection(cg.g, t.g)) / nullif(ST_Area(t.g), 0)) AS v
    FROM settlements s CROSS JOIN LATERAL (SELECT ST_Transform(s.geom, d.srid) AS g) t
    WHERE s.city_id = d.city_id AND s.population IS NOT NULL AND s.geom && c.geom AND ST_Intersects(s.geom, c.geom)) sp ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS v FROM properties p
    WHERE p.city_id = d.city_id AND p.status <> 'retired' AND p.geom && c.geom AND ST_Intersects(c.geom, ST_PointOnSurface(p.geom))) pr ON true
ORDER BY c.cell
