-- Assesses every active property of city $1 (or of the districts $3, null for all) for fiscal year $2 in one statement, set-wise:
-- area (geodesic m²), land use (attributes.land_use when the rule knows it, else the rule's default), zone (the rule's
-- zone polygon holding the parcel's point on surface, else its district), the rate (land use + zone, else land use in
-- every zone, else the default land use likewise), clamped to the rule's minimum and maximum; exempt land uses pay 0.
-- Idempotent: a property already assessed at the same amount is left alone; a changed amount updates the assessment
-- and books the difference as an adjustment. New assessments take gapless invoice numbers from the counter row
-- ($5 = city code), which the caller has locked. Answers counts and sums.
WITH rule AS (
    SELECT r.* FROM charge_rules r WHERE r.city_id = $1 AND r.fiscal_year = $2
), props AS (
    SELECT p.id, p.code, p.district_code, p.geom,
           CASE WHEN EXISTS (SELECT 1 FROM charge_rates cr WHERE cr.city_id = $1 AND cr.fiscal_year = $2
                                                           AND cr.land_use = p.attributes->>'land_use')
                  OR p.attributes->>'land_use' = ANY (rule.exempt_land_uses)
                THEN p.attributes->>'land_use' ELSE rule.default_land_use END AS land_use
    FROM properties p, rule
    WHERE p.city_id = $1 AND p.status <> 'retired' AND ($3::text[] IS NULL OR p.district_code = ANY ($3::text[]))
), computed AS (
    SELECT p.id, p.code, p.district_code, p.land_use, z.zone,
           round(ST_Area(p.geom::geography)::numeric, 2) AS area_m2,
           p.land_use = ANY (rule.exempt_land_uses) AS exempt,
           coalesce(rate.rate_per_m2, 0) AS rate_per_m2,
           rule.minimum, rule.maximum, rule.set_at
    FROM props p
    CROSS JOIN rule
    CROSS JOIN LATERAL (
        SELECT coalesce((SELECT cz.code FROM charge_zones cz
                         WHERE cz.city_id = $1 AND cz.fiscal_year = $2 AND ST_Intersects(cz.geom, ST_PointOnSurface(p.geom))
                         ORDER BY cz.code LIMIT 1), p.district_code) AS zone) z
    LEFT JOIN LATERAL (
        SELECT cr.rate_per_m2 FROM charge_rates cr
        WHERE cr.city_id = $1 AND cr.fiscal_year = $2
          AND cr.land_use IN (p.land_use, rule.default_land_use) AND cr.zone IN (z.zone, '')
        ORDER BY (cr.land_use = p.land_use) DESC, (cr.zone = z.zone) DESC
        LIMIT 1) rate ON true
), amounts AS (
    SELECT c.*,
           CASE WHEN c.exempt THEN 0::numeric
                ELSE least(greatest(round(c.area_m2 * c.rate_per_m2, 2), c.minimum), coalesce(c.maximum, 'Infinity'::numeric)) END AS amount
    FROM computed c
), booked AS (
    SELECT l.property_id, sum(l.amount) AS booked
    FROM ledger_entries l
    WHERE l.city_id = $1 AND l.fiscal_year = $2 AND l.kind IN ('charge', 'adjustment')
    GROUP BY l.property_id
), diff AS (
    SELECT a.*, a2.property_id IS NULL AS first, b.property_id IS NULL AS unbooked, coalesce(b.booked, 0) AS booked,
           a2.amount IS DISTINCT FROM a.amount OR a2.land_use IS DISTINCT FROM a.land_use OR a2.zone IS DISTINCT FROM a.zone
             OR a2.area_m2 IS DISTINCT FROM a.area_m2 OR a2.rate_per_m2 IS DISTINCT FROM a.rate_per_m2
             OR a2.exempt IS DISTINCT FROM a.exempt OR a2.district_code IS DISTINCT FROM a.district_code AS changed,
           row_number() OVER (PARTITION BY a2.property_id IS NULL ORDER BY a.code) AS rn
    FROM amounts a
    LEFT JOIN charge_assessments a2 ON a2.city_id = $1 AND a2.property_id = a.id AND a2.fiscal_year = $2
    LEFT JOIN booked b ON b.property_id = a.id
), counter AS (
    UPDATE number_counters SET last = last + (SELECT count(*) FROM diff WHERE first)
    WHERE city_id = $1 AND series = 'invoice' AND fiscal_year = $2
    RETURNING last - (SELECT count(*) FROM diff WHERE first) AS base
), upsert AS (
    INSERT INTO charge_assessments AS t (city_id, property_id, fiscal_year, invoice_number, district_code, land_use, zone,
                                         area_m2, rate_per_m2, exempt, amount, rule_set_at, assessed_by)
    SELECT $1, d.id, $2, CASE WHEN d.first THEN $5 || '-' || $2::text || '-' || um_document_number((SELECT base FROM counter) + d.rn)
                               ELSE 'kept' END,
           d.district_code, d.land_use, d.zone, d.area_m2, d.rate_per_m2, d.exempt, d.amount, d.set_at, $4
    FROM diff d WHERE d.first OR d.changed
    ON CONFLICT (city_id, property_id, fiscal_year) DO UPDATE
       SET district_code = EXCLUDED.district_code, land_use = EXCLUDED.land_use, zone = EXCLUDED.zone,
           area_m2 = EXCLUDED.area_m2, rate_per_m2 = EXCLUDED.rate_per_m2, exempt = EXCLUDED.exempt, amount = EXCLUDED.amount,
           rule_set_at = EXCLUDED.rule_set_at, assessed_at = now(), assessed_by = EXCLUDED.assessed_by
    RETURNING t.property_id, t.invoice_number
), ledger AS (
    INSERT INTO ledger_entries (city_id, property_id, fiscal_year, kind, amount, entry_date, invoice_number, entered_by)
    SELECT $1, d.id, $2, CASE WHEN d.unbooked AND d.amount > 0 THEN 'charge' ELSE 'adjustment' END, d.amount - d.booked,
           current_date, u.invoice_number, $4
    FROM diff d JOIN upsert u ON u.property_id = d.id
    WHERE d.amount <> d.booked
    RETURNING kind, amount
)
SELECT (SELECT count(*) FROM diff) AS properties,
       (SELECT count(*) FROM diff WHERE first) AS assessed,
       (SELECT count(*) FROM diff WHERE NOT first AND changed) AS reassessed,
       (SELECT count(*) FROM ledger WHERE kind = 'adjustment') AS adjustments,
       (SELECT coalesce(sum(amount), 0) FROM diff) AS amount,
       (SELECT coalesce(sum(amount), 0) FROM ledger) AS booked,
       (SELECT count(*) FROM diff WHERE exempt) AS exempt;
