-- A new registration (issue 4) is one call to the database instead of four: um_register_property locks the area,
-- snaps, checks every rule and inserts the property, in the caller's transaction.
--
-- The snapping and the rules move from the service's SQL files into two functions, so the service's edits, splits
-- and merges (Registration/snap.sql and rules.sql call them) and the new registration use one copy of each rule.
-- What a refusal means stays in C# (RegistrationRules reads these columns the same way for every caller); the
-- function only decides whether to insert, on the same limits the service passes in.

-- Snaps g (EPSG:4326) to the active parcels of city p_city other than p_exclude within p_tol metres: ST_Snap in metres
-- in the local UTM zone. No row when no neighbour is that near. snapped is null when nothing moved or the result would
-- be invalid; then the neighbours it snapped to, the largest shift (m), the vertex counts before and after, and
-- whether the snapped geometry was valid.
CREATE FUNCTION um_registration_snap(g geometry, p_city integer, p_exclude bigint, p_tol double precision)
RETURNS TABLE (snapped geometry, neighbours text[], max_shift_m double precision, vertices_before integer,
               vertices_after integer, valid boolean)
LANGUAGE sql STABLE AS $$
WITH c AS (
    SELECT g, um_utm_srid(g) AS srid
), u AS (
    SELECT g, srid, ST_Transform(g, srid) AS gu FROM c
), n AS (
    SELECT p.code, ST_Transform(p.geom, u.srid) AS nu
    FROM u
    JOIN properties p ON p.city_id = p_city AND p.status <> 'retired' AND p.id IS DISTINCT FROM p_exclude
                     -- 1e-5 degrees is over a metre: a cheap index filter before the exact test in metres.
                     AND p.geom && ST_Expand(u.g, p_tol * 1e-5 + 1e-6)
    WHERE ST_DWithin(ST_Transform(p.geom, u.srid), u.gu, p_tol)
), s AS (
    SELECT u.gu, ST_Snap(u.gu, (SELECT ST_Collect(nu) FROM n), p_tol) AS su, u.srid
    FROM u WHERE EXISTS (SELECT 1 FROM n)
)
SELECT CASE WHEN NOT ST_Equals(s.su, s.gu) AND ST_IsValid(s.su)
            THEN ST_Multi(ST_CollectionExtract(ST_Transform(s.su, 4326), 3)) END,
       (SELECT array_agg(code ORDER BY code) FROM n),
       ST_HausdorffDistance(s.gu, s.su),
       ST_NPoints(s.gu), ST_NPoints(s.su), ST_IsValid(s.su)
FROM s
$$;

-- The registration rules on g (EPSG:4326) in city p_city, district p_district. p_exclude is the property being edited
-- (left out of the overlap and code checks), p_code the human code, p_tol the overlap tolerance in m². Areas are
-- geodesic (geography), in m²; the district may be missed by up to 1 m (survey noise on its boundary).
CREATE FUNCTION um_registration_check(g geometry, p_city integer, p_district text, p_exclude bigint, p_code text,
                                      p_tol double precision)
RETURNS TABLE (district_exists boolean, inside boolean, area_m2 double precision, conflicts text, code_taken boolean)
LANGUAGE sql STABLE AS $$
WITH c AS (
    SELECT g
), d AS (
    SELECT geom FROM districts WHERE city_id = p_city AND code = p_district
)
SELECT
    EXISTS (SELECT 1 FROM d),
    -- The 1 m buffer of the district is only built for parcels on its edge (CASE keeps the order).
    coalesce((SELECT CASE WHEN ST_CoveredBy(c.g, d.geom) THEN true
                          ELSE ST_CoveredBy(c.g, ST_Buffer(d.geom::geography, 1.0)::geometry) END FROM c, d), false),
    (SELECT ST_Area(c.g::geography) FROM c),
    (SELECT coalesce(json_agg(json_build_object('code', o.code, 'id', o.id, 'overlapM2', round(o.area::numeric, 3), 'overlap', o.wkt)
                              ORDER BY o.area DESC), '[]')::text
     FROM (SELECT p.code, p.id, ST_Area(x.i::geography) AS area, ST_AsText(x.i) AS wkt
           FROM c
           JOIN properties p ON p.city_id = p_city AND p.status <> 'retired' AND ST_Intersects(p.geom, c.g)
           CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Intersection(p.geom, c.g), 3) AS i) x
           WHERE p.id IS DISTINCT FROM p_exclude) o
     WHERE o.area > p_tol),
    EXISTS (SELECT 1 FROM properties WHERE city_id = p_city AND code = p_code AND id IS DISTINCT FROM p_exclude)
$$;

-- A new surveyed property in the caller's transaction: the area lock of registration_lock_area (p_snap_m + 1 m
-- around it, and p_names), snapping (p_snap_m metres; 0 = off), the rules, and the insert when every rule holds
-- (district known, inside it, area within [p_min_area_m2, p_max_area_m2], no overlap beyond p_overlap_m2, code free).
-- Returns whether a snap row exists and its columns, the rules' columns, and the new id and version (null when refused).
-- Its version 1, audit rows, dirty marks and tile invalidation come from the insert's triggers, as for any insert.
CREATE FUNCTION um_register_property(p_city integer, p_code text, p_district text, p_block text, p_parcel text,
                                     p_attributes jsonb, g geometry, p_surveyor text, p_sources jsonb,
                                     p_snap_m double precision, p_overlap_m2 double precision,
                                     p_min_area_m2 double precision, p_max_area_m2 double precision, p_names text[])
RETURNS TABLE (snap_found boolean, snapped bytea, neighbours text[], max_shift_m double precision, vertices_before integer,
               vertices_after integer, snap_valid boolean, district_exists boolean, inside boolean, area_m2 double precision,
               conflicts text, code_taken boolean, id bigint, version integer)
LANGUAGE plpgsql SET jit = off SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
    s record;
    r record;
    candidate geometry := g;
BEGIN
    -- Snapping may move vertices up to p_snap_m; 1 m more for rounding and the survey tolerance.
    PERFORM registration_lock_area(p_city, g, p_snap_m + 1.0, p_names);
    snap_found := false;
    IF p_snap_m > 0 THEN
        SELECT * INTO s FROM um_registration_snap(g, p_city, NULL, p_snap_m);
        IF FOUND THEN
            snap_found := true;
            snapped := ST_AsEWKB(s.snapped);
            neighbours := s.neighbours;
            max_shift_m := s.max_shift_m;
            vertices_before := s.vertices_before;
            vertices_after := s.vertices_after;
            snap_valid := s.valid;
            candidate := coalesce(s.snapped, g);
        END IF;
    END IF;
    SELECT * INTO r FROM um_registration_check(candidate, p_city, p_district, NULL, p_code, p_overlap_m2);
    district_exists := r.district_exists;
    inside := r.inside;
    area_m2 := r.area_m2;
    conflicts := r.conflicts;
    code_taken := r.code_taken;
    IF r.district_exists AND r.inside AND r.area_m2 BETWEEN p_min_area_m2 AND p_max_area_m2
       AND r.conflicts = '[]' AND NOT r.code_taken THEN
        -- As Registration/insert.sql: the AFTER INSERT trigger of migration 0006 writes version 1.
        INSERT INTO properties AS p (city_id, code, district_code, block, parcel, status, attributes, geom, surveyed_by, sources)
        VALUES (p_city, p_code, p_district, p_block, p_parcel, 'surveyed', p_attributes, candidate, p_surveyor, coalesce(p_sources, '[]'))
        RETURNING p.id, p.version INTO id, version;
    END IF;
    RETURN NEXT;
END
$$;
