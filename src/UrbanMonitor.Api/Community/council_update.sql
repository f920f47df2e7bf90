-- Changes the fields given (null: unchanged) of council $1: $2 name, $3 elected on, $4 status, $5 households,
-- $6 geometry EWKB, $7 gozar code ('' detaches it). No row when the gozar code is unknown.
UPDATE councils c SET
    name = coalesce($2, c.name),
    elected_on = coalesce($3, c.elected_on),
    status = coalesce($4, c.status),
    households = coalesce($5, c.households),
    geom = coalesce(ST_Multi(ST_CollectionExtract(ST_GeomFromEWKB($6), 3)), c.geom),
    gozar_id = CASE WHEN $7::text IS NULL THEN c.gozar_id WHEN $7 = '' THEN NULL
                    ELSE (SELECT g.id FROM community_gozars g WHERE g.city_id = c.city_id AND g.code = $7) END,
    updated_at = now()
WHERE c.id = $1
  AND ($7::text IS NULL OR $7 = '' OR EXISTS (SELECT 1 FROM community_gozars g WHERE g.city_id = c.city_id AND g.code = $7))
RETURNING c.id;
