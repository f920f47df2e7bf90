-- What a certificate for version $3 of property $2 in city $1 prints, as of instant $4 (its issue): the city, the
-- property code and district, the area in m² (geodesic), the parcel and its neighbours of that instant within 40 m in
-- the parcel's UTM zone (WKB, metres), the zone's EPSG code, and the rights open at that instant with their holders.
WITH v AS (
    SELECT pv.city_id, pv.property_id, pv.code, pv.district_code, pv.geom, um_utm_srid(pv.geom) AS srid
    FROM property_versions pv
    WHERE pv.city_id = $1 AND pv.property_id = $2 AND pv.version = $3
)
SELECT c.name, c.code, v.code, v.district_code,
       ST_Area(v.geom::geography) AS area_m2,
       v.srid,
       ST_AsBinary(ST_Transform(v.geom, v.srid)) AS parcel,
       coalesce((SELECT array_agg(ST_AsBinary(ST_Transform(n.geom, v.srid)) ORDER BY n.property_id)
                 FROM property_versions n
                 WHERE n.city_id = v.city_id AND n.property_id <> v.property_id
                   AND n.geom && ST_Expand(v.geom, 0.001)
                   AND ST_DWithin(n.geom::geography, v.geom::geography, 40)
                   AND n.valid_from <= $4 AND (n.valid_to IS NULL OR n.valid_to > $4)
                   AND n.status <> 'retired'), '{}') AS neighbours,
       coalesce((SELECT json_agg(json_build_object('name', pa.name, 'kind', r.kind, 'share', r.share)
                                 ORDER BY r.share DESC, pa.name, r.id)
                 FROM rights r JOIN parties pa ON pa.city_id = r.city_id AND pa.id = r.party_id
                 WHERE r.city_id = v.city_id AND r.property_id = v.property_id
                   AND r.valid_from <= $4 AND (r.valid_to IS NULL OR r.valid_to > $4)), '[]')::text AS rights
FROM v
JOIN cities c ON c.id = v.city_id;
