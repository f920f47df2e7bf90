-- The rule of city $1 and fiscal year $2 as JSON, or no row.
SELECT json_build_object(
    'fiscalYear', r.fiscal_year, 'starts', r.starts, 'ends', r.ends, 'currency', 'AFN',
    'defaultLandUse', r.default_land_use, 'minimum', r.minimum, 'maximum', r.maximum, 'exemptLandUses', r.exempt_land_uses,
    'rates', coalesce((SELECT json_agg(json_build_object('landUse', cr.land_use, 'zone', nullif(cr.zone, ''), 'ratePerM2', cr.rate_per_m2)
                                       ORDER BY cr.land_use, cr.zone)
                       FROM charge_rates cr WHERE cr.city_id = r.city_id AND cr.fiscal_year = r.fiscal_year), '[]'),
    'zones', coalesce((SELECT json_agg(json_build_object('code', z.code, 'geometry', ST_AsGeoJSON(z.geom)::json) ORDER BY z.code)
                       FROM charge_zones z WHERE z.city_id = r.city_id AND z.fiscal_year = r.fiscal_year), '[]'),
    'setBy', r.set_by, 'setAt', r.set_at)::text
FROM charge_rules r WHERE r.city_id = $1 AND r.fiscal_year = $2;
