-- A display period of city $1 over area $2 (EWKB; district $3 when drawn from one) from $4 to $5, with every verified
-- property whose point on surface lies in the area and that is not already on an open display. Returns the new id and
-- the districts of its claims, or a null id (and nothing written) when there is no claim.
WITH claims AS (
    SELECT p.id, p.district_code FROM properties p
    WHERE p.city_id = $1 AND p.status = 'verified'
      AND ST_Covers(ST_GeomFromEWKB($2::bytea), ST_PointOnSurface(p.geom))
      AND NOT EXISTS (SELECT 1 FROM display_claims dc JOIN display_periods dp ON dp.city_id = dc.city_id AND dp.id = dc.display_id
                      WHERE dc.property_id = p.id AND dp.status = 'open')
), period AS (
    INSERT INTO display_periods (city_id, area, district_code, starts_at, ends_at, created_by)
    SELECT $1, ST_GeomFromEWKB($2::bytea), $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM claims)
    RETURNING id
), added AS (
    INSERT INTO display_claims (city_id, display_id, property_id)
    SELECT $1, period.id, claims.id FROM period, claims
)
SELECT (SELECT id FROM period), (SELECT coalesce(array_agg(DISTINCT district_code), '{}') FROM claims);
