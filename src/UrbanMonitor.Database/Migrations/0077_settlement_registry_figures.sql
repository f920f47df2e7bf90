-- What the registry says about the properties inside an area (issue 6: a settlement's certificates issued and its
-- service-charge collection). A property is inside when its point on surface is, as everywhere in the settlement
-- analysis. Service charges are for the city's latest fiscal year with assessments, so settlements compare alike:
-- assessed = properties assessed and the amount assessed (after adjustments); paying = properties with at least one
-- payment for that year; collected = the sum of those payments; collectionRate = collected / assessed amount.
CREATE FUNCTION um_settlement_registry_figures(p_city integer, p_area geometry) RETURNS json
LANGUAGE sql STABLE SET jit = off AS $$
    WITH p AS (SELECT pr.id, pr.version FROM properties pr
               WHERE pr.city_id = p_city AND pr.status <> 'retired'
                 AND pr.geom && p_area AND ST_Intersects(ST_PointOnSurface(pr.geom), p_area)),
         y AS (SELECT max(fiscal_year) AS fy FROM charge_assessments WHERE city_id = p_city),
         a AS (SELECT count(*) AS n, coalesce(sum(ca.amount), 0) AS amount
               FROM charge_assessments ca JOIN p ON p.id = ca.property_id CROSS JOIN y
               WHERE ca.city_id = p_city AND ca.fiscal_year = y.fy),
         pay AS (SELECT count(DISTINCT cp.property_id) AS paying, coalesce(sum(cp.amount), 0) AS collected
                 FROM charge_payments cp JOIN p ON p.id = cp.property_id CROSS JOIN y
                 WHERE cp.city_id = p_city AND cp.fiscal_year = y.fy),
         c AS (SELECT count(*) AS issued, count(DISTINCT ce.property_id) FILTER (WHERE ce.property_version = p.version) AS current
               FROM certificates ce JOIN p ON p.id = ce.property_id
               WHERE ce.city_id = p_city)
    SELECT json_build_object(
        'certificatesIssued', c.issued,
        'propertiesWithCurrentCertificate', c.current,
        'serviceCharges', CASE WHEN y.fy IS NULL THEN NULL ELSE json_build_object(
            'fiscalYear', y.fy,
            'assessed', a.n,
            'assessedAmount', a.amount,
            'paying', pay.paying,
            'collected', pay.collected,
            'collectionRate', round(pay.collected / nullif(a.amount, 0), 4)) END,
        'serviceChargesNote', CASE WHEN y.fy IS NULL THEN 'No service charge has been assessed in this city yet.' END)
    FROM c, y, a, pay
$$;
