-- Two survey rounds of one settlement for the map ($1 settlement id; $2, $3 rounds, NULL = the round before the
-- current one and the current one, as analysis.sql's change): a GeoJSON FeatureCollection of both outlines, the area
-- added (in the later round only) and the area lost (in the earlier only), each with its spheroid area in m² rounded
-- as the analysis rounds it. Also: whether the settlement exists, its rounds, and the rounds found.
WITH s AS (SELECT city_id, code, survey_round FROM settlements WHERE id = $1),
a AS (SELECT r.survey_round, r.geom FROM settlement_rounds r, s
      WHERE r.city_id = s.city_id AND r.code = s.code
        AND ($2::text IS NULL AND r.survey_round < s.survey_round OR r.survey_round = $2::text)
      ORDER BY r.survey_round DESC LIMIT 1),
b AS (SELECT r.survey_round, r.geom FROM settlement_rounds r, s
      WHERE r.city_id = s.city_id AND r.code = s.code AND r.survey_round = coalesce($3::text, s.survey_round)),
parts AS (
    SELECT 1 AS n, 'from' AS part, a.survey_round AS round, a.geom FROM a
    UNION ALL SELECT 2, 'to', b.survey_round, b.geom FROM b
    UNION ALL SELECT 3, 'added', b.survey_round, ST_Difference(b.geom, a.geom) FROM a, b
    UNION ALL SELECT 4, 'lost', a.survey_round, ST_Difference(a.geom, b.geom) FROM a, b)
SELECT (SELECT count(*) FROM s) > 0,
       (SELECT array_agg(r.survey_round ORDER BY r.survey_round) FROM settlement_rounds r, s WHERE r.city_id = s.city_id AND r.code = s.code),
       (SELECT survey_round FROM a), (SELECT survey_round FROM b),
       json_build_object(
           'type', 'FeatureCollection',
           'from', (SELECT survey_round FROM a), 'to', (SELECT survey_round FROM b),
           'features', coalesce(json_agg(json_build_object(
               'type', 'Feature',
               'geometry', ST_AsGeoJSON(p.geom, 9)::json,
               'properties', json_build_object('part', p.part, 'round', p.round,
                                               'areaM2', round(ST_Area(p.geom::geography)::numeric, 1))) ORDER BY p.n), '[]'))::text
FROM parts p;
