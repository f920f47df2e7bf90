-- Indicator choropleth tiles (issue 10): /tiles/indicators/{z}/{x}/{y}.mvt?indicator={code} draws each district with its
-- stored result. Each indicator is its own tile layer for caching, named 'indicators:{code}' in layer_versions and in
-- tiles_changed: a stored district value that changes bumps that indicator's version and evicts the tiles of that
-- district only (through tiles_layer_changed, at commit, as every other layer). A recompute that writes the same
-- value again changes nothing. The city row (district '') is not drawn, so it does not count.

-- Announces the changed (city, district, indicator) rows: one tiles_layer_changed per indicator with the districts' boxes.
CREATE FUNCTION um_indicator_tiles_announce(changed jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT x.code, array_agg(public.ST_Envelope(d.geom)) AS boxes
        FROM jsonb_to_recordset(changed) AS x (city_id integer, district_code text, code text)
        JOIN districts d ON d.city_id = x.city_id AND d.code = x.district_code
        GROUP BY x.code
    LOOP
        PERFORM tiles_layer_changed('indicators:' || c.code, NULL, c.boxes, false);
    END LOOP;
END
$$;

CREATE FUNCTION um_indicator_results_tiles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT jsonb_agg(jsonb_build_object('city_id', city_id, 'district_code', district_code, 'code', code)) INTO changed
        FROM new_rows WHERE district_code <> '';
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT jsonb_agg(jsonb_build_object('city_id', n.city_id, 'district_code', n.district_code, 'code', n.code)) INTO changed
        FROM new_rows n JOIN old_rows o ON o.city_id = n.city_id AND o.district_code = n.district_code AND o.code = n.code
        WHERE n.district_code <> ''
          AND (n.value IS DISTINCT FROM o.value OR n.unit IS DISTINCT FROM o.unit OR n.reason IS DISTINCT FROM o.reason);
    ELSE
        SELECT jsonb_agg(jsonb_build_object('city_id', city_id, 'district_code', district_code, 'code', code)) INTO changed
        FROM old_rows WHERE district_code <> '';
    END IF;
    IF changed IS NOT NULL THEN PERFORM um_indicator_tiles_announce(changed); END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER indicator_results_tiles_insert AFTER INSERT ON indicator_results REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION um_indicator_results_tiles();
CREATE TRIGGER indicator_results_tiles_update AFTER UPDATE ON indicator_results REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION um_indicator_results_tiles();
CREATE TRIGGER indicator_results_tiles_delete AFTER DELETE ON indicator_results REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION um_indicator_results_tiles();

-- The choropleth draws the districts' shapes: a change to districts redraws every indicator's tiles.
CREATE FUNCTION um_districts_indicator_tiles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT DISTINCT code FROM indicator_results LOOP
        PERFORM tiles_layer_changed('indicators:' || c.code, NULL, NULL, true);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER districts_indicator_tiles AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON districts
    FOR EACH STATEMENT EXECUTE FUNCTION um_districts_indicator_tiles();
