-- The population units of SDG 11.2.1 per scope, so that one statement serves one district, the whole city, or the
-- whole city and every district at once (the full recompute): $1 city, $2 district code or NULL (the city), $3 every
-- (true: the city and each of its districts; $2 is then ignored), $4 UTM srid. One row per unit and scope it counts in;
-- scope '' is the city. The units are the city's population units (in a district those whose point on surface lies in
-- it; in the city all of them), else its districts with a population (each in its own district and in the city);
-- geometry in the UTM zone. It replaces um_indicator_units, which served one scope only.
DROP FUNCTION IF EXISTS um_indicator_units(integer, text, integer);

CREATE FUNCTION um_indicator_scope_units(city integer, district text, every boolean, srid integer)
RETURNS TABLE (scope text, source text, id bigint, code text, population double precision, g public.geometry)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH has_units AS (SELECT EXISTS (SELECT 1 FROM public.population_units p WHERE p.city_id = city) AS yes)
    SELECT '', 'population-units', u.id, coalesce(u.code, u.id::text), u.population::double precision, public.ST_Transform(u.geom, srid)
    FROM public.population_units u
    WHERE u.city_id = city AND (every OR district IS NULL)
    UNION ALL
    SELECT d.code, 'population-units', u.id, coalesce(u.code, u.id::text), u.population::double precision, public.ST_Transform(u.geom, srid)
    FROM public.districts d
    JOIN public.population_units u ON u.city_id = city AND u.geom OPERATOR(public.&&) d.geom
                                  AND public.ST_Intersects(public.ST_PointOnSurface(u.geom), d.geom)
    WHERE d.city_id = city AND (every OR d.code = district)
    UNION ALL
    SELECT s.scope, 'districts', d.id, d.code, d.population::double precision, public.ST_Transform(d.geom, srid)
    FROM public.districts d, has_units,
         LATERAL (SELECT '' AS scope WHERE every OR district IS NULL UNION ALL SELECT d.code WHERE every OR d.code = district) s
    WHERE d.city_id = city AND d.population IS NOT NULL AND NOT has_units.yes
      AND (every OR district IS NULL OR d.code = district)
$$;
