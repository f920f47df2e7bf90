-- Indicators as of an instant (issue 7, ?at=): the settlements layer of a city as it was at that instant, rebuilt from
-- settlement_rounds. A settlement counts when one of its rounds was recorded at or before the instant, with the round
-- recorded last by then; an import of the settlements layer replaces the whole layer, so rounds recorded before the
-- last such import that had started by then are left out. Limit: a rerun of the same survey round overwrites its row
-- (and its recorded_at), so only the latest recording of each round is known.
CREATE FUNCTION um_settlements_at(city integer, at timestamptz)
RETURNS TABLE (id bigint, code text, name text, population bigint, households bigint, survey_round text, geom public.geometry)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH cut AS (
        SELECT max(j.started_at) AS t FROM public.import_jobs j
        WHERE j.city_id = city AND j.layer = 'settlements' AND j.status = 'succeeded' AND j.started_at <= at
    )
    SELECT DISTINCT ON (r.code) r.settlement_id, r.code, r.name, r.population, r.households, r.survey_round, r.geom
    FROM public.settlement_rounds r, cut
    WHERE r.city_id = city AND r.recorded_at <= at AND (cut.t IS NULL OR r.recorded_at >= cut.t)
    ORDER BY r.code, r.recorded_at DESC, r.survey_round DESC
$$;
