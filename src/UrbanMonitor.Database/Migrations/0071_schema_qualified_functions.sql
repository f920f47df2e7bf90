-- Issue 11 (backup and restore): pg_restore runs with an empty search_path, so SQL functions used by generated columns
-- and indexes must name PostGIS's functions with their schema, or the restore of a backup fails. Same bodies, qualified.
CREATE OR REPLACE FUNCTION tiles_web_mercator(g public.geometry) RETURNS public.geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
        WHEN public.ST_YMin(g) >= -85.06 AND public.ST_YMax(g) <= 85.06 THEN public.ST_Transform(g, 3857)
        ELSE public.ST_Transform(public.ST_ClipByBox2D(g, 'BOX(-180 -85.06,180 85.06)'::public.box2d), 3857)
    END
$$;

CREATE OR REPLACE FUNCTION um_utm_srid(g public.geometry) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN public.ST_Y(c) >= 0 THEN 32600 ELSE 32700 END + least(60, floor((public.ST_X(c) + 180) / 6)::int + 1)
    FROM (SELECT public.ST_Centroid(g) AS c) x
$$;
