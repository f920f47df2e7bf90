-- The WGS 84 / UTM zone (EPSG:326zz north, 327zz south) of a geometry's centroid: where analyses compute buffers and
-- coverage in metres. Input in EPSG:4326.
CREATE FUNCTION um_utm_srid(g geometry) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN ST_Y(c) >= 0 THEN 32600 ELSE 32700 END + least(60, floor((ST_X(c) + 180) / 6)::int + 1)
    FROM (SELECT ST_Centroid(g) AS c) x
$$;
