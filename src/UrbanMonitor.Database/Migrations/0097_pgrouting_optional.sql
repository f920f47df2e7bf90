-- SDG 11.2.1 along the street network (issue 7): pgRouting when the server has it. It is optional: the extension is
-- created only when pg_available_extensions lists it and the migrating role may create it; otherwise nothing happens
-- and the indicator falls back to straight-line distances, saying why (e.g. the postgis/postgis docker image has no
-- pgRouting). A server that gains pgRouting later gets it with `CREATE EXTENSION pgrouting` by a superuser.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pgrouting;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pgrouting is available but this role may not create it; 11.2.1 will use straight-line distances';
        END;
    END IF;
END
$$;

-- The population units of an indicator's scope ($1 city, $2 district code or NULL, $3 UTM srid): the city's population
-- units (those whose point on surface lies in the district), else its districts with a population; geometry in the UTM
-- zone. Shared by the straight-line and the network versions of 11.2.1.
CREATE FUNCTION um_indicator_units(city integer, district text, srid integer)
RETURNS TABLE (source text, id bigint, code text, population double precision, g public.geometry)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH scope AS (SELECT public.ST_Union(d.geom) AS g FROM public.districts d WHERE d.city_id = city AND (district IS NULL OR d.code = district))
    SELECT 'population-units', u.id, coalesce(u.code, u.id::text), u.population::double precision, public.ST_Transform(u.geom, srid)
    FROM public.population_units u, scope
    WHERE u.city_id = city AND (district IS NULL OR public.ST_Intersects(public.ST_PointOnSurface(u.geom), scope.g))
    UNION ALL
    SELECT 'districts', d.id, d.code, d.population::double precision, public.ST_Transform(d.geom, srid)
    FROM public.districts d
    WHERE d.city_id = city AND (district IS NULL OR d.code = district) AND d.population IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM public.population_units p WHERE p.city_id = city)
$$;
