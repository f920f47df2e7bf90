-- The human code {CITYCODE}-{district}-{block}-{parcel} is built here from the city's code.
INSERT INTO properties (city_id, code, district_code, block, parcel, status, attributes, geom)
SELECT $1, c.code || '-' || s.district_code || '-' || s.block || '-' || s.parcel,
       s.district_code, s.block, s.parcel, 'surveyed', s.attributes,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(s.geom)), 3))
FROM stage s
JOIN cities c ON c.id = $1
ORDER BY s.ord;
