-- The districts of a city as JSON objects: $1 the city's slug, $2 one district's code or NULL for all of them.
-- No row: no such city. One row with a NULL object: the city has no such district (or none at all).
-- Public data only: names, census figures, area, and counts of parcels (by status) and of settlements.
WITH city AS (
    SELECT id, slug FROM cities WHERE slug = $1
), parcels AS (
    SELECT p.district_code,
           count(*) AS total,
           count(*) FILTER (WHERE p.status = 'surveyed')   AS surveyed,
           count(*) FILTER (WHERE p.status = 'verified')   AS verified,
           count(*) FILTER (WHERE p.status = 'registered') AS registered,
           count(*) FILTER (WHERE p.status = 'retired')    AS retired
    FROM city JOIN properties p ON p.city_id = city.id AND ($2::text IS NULL OR p.district_code = $2)
    GROUP BY p.district_code
)
SELECT CASE WHEN d.code IS NULL THEN NULL ELSE json_build_object(
    'city', city.slug,
    'code', d.code,
    'name', d.name,
    'population', d.population,
    'households', d.households,
    'areaHa', round((ST_Area(d.geom::geography) / 10000)::numeric, 2),
    'bbox', json_build_array(round(ST_XMin(d.geom)::numeric, 6), round(ST_YMin(d.geom)::numeric, 6),
                             round(ST_XMax(d.geom)::numeric, 6), round(ST_YMax(d.geom)::numeric, 6)),
    'counts', json_build_object(
        'properties', coalesce(p.total, 0),
        'surveyed', coalesce(p.surveyed, 0),
        'verified', coalesce(p.verified, 0),
        'registered', coalesce(p.registered, 0),
        'retired', coalesce(p.retired, 0),
        'settlements', (SELECT count(*) FROM settlements s WHERE s.city_id = city.id AND ST_Intersects(s.geom, d.geom))),
    'links', json_build_array(
        json_build_object('rel', 'self', 'type', 'application/json', 'href', u.here),
        json_build_object('rel', 'up', 'type', 'application/json', 'title', 'the city', 'href', '/api/cities/' || city.slug),
        json_build_object('rel', 'item', 'type', 'application/geo+json', 'title', 'the district as a feature',
                          'href', '/collections/districts/items/' || d.id),
        json_build_object('rel', 'items', 'type', 'application/geo+json', 'title', 'its properties',
                          'href', '/collections/properties/items?city=' || city.slug || '&filter=' || u.filter),
        json_build_object('rel', 'describedby', 'type', 'application/json', 'title', 'its stored indicator results',
                          'href', '/api/indicators/results?city=' || city.slug || '&district=' || u.code),
        json_build_object('rel', 'enclosure', 'type', 'application/vnd.mapbox-vector-tile', 'title', 'offline tiles (MBTiles)',
                          'href', u.here || '/package.mbtiles'),
        json_build_object('rel', 'enclosure', 'type', 'application/geopackage+sqlite3', 'title', 'offline layers (GeoPackage)',
                          'href', u.here || '/package.gpkg'))
)::text END
FROM city
LEFT JOIN districts d ON d.city_id = city.id AND ($2::text IS NULL OR d.code = $2)
LEFT JOIN parcels p ON p.district_code = d.code
-- The code, and the CQL2 filter on it (a CQL2 string literal: quotes doubled), percent-encoded for the links (RFC 3986's
-- unreserved characters kept).
LEFT JOIN LATERAL (
    SELECT '/api/cities/' || city.slug || '/districts/' || e.code AS here, e.code, e.filter
    FROM (SELECT max(enc) FILTER (WHERE k = 1) AS code, max(enc) FILTER (WHERE k = 2) AS filter
          FROM (SELECT x.k, string_agg(CASE WHEN t.ch ~ '^[A-Za-z0-9._~-]$' THEN t.ch
                                            ELSE upper(regexp_replace(encode(convert_to(t.ch, 'UTF8'), 'hex'), '(..)', '%\1', 'g')) END,
                                       '' ORDER BY t.i) AS enc
                FROM (VALUES (1, d.code), (2, 'district_code = ''' || replace(d.code, '''', '''''') || '''')) AS x (k, v),
                     regexp_split_to_table(x.v, '') WITH ORDINALITY AS t (ch, i)
                GROUP BY x.k) y) e
) AS u ON d.code IS NOT NULL
ORDER BY CASE WHEN d.code ~ '^[0-9]{1,18}$' THEN d.code::bigint END, d.code;
