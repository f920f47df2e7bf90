-- What the report map draws around one settlement ($1: id): the settlement (kind 's'), other settlements ('o'),
-- district boundaries ('d') and transit stops ('t') within a frame of the settlement's box plus a margin, all in
-- Web Mercator (EPSG:3857) as WKB, the frame first (kind 'f').
WITH s AS (SELECT city_id, id, geom, geom3857, ST_Expand(ST_Envelope(geom3857), greatest(ST_XMax(geom3857) - ST_XMin(geom3857), ST_YMax(geom3857) - ST_YMin(geom3857), 400) * 0.35) AS frame
           FROM settlements WHERE id = $1),
     f AS (SELECT s.*, ST_Transform(frame, 4326) AS frame4326 FROM s)
SELECT 'f' AS kind, ST_AsBinary(f.frame) FROM f
UNION ALL SELECT 'd', ST_AsBinary(ST_Boundary(ST_Transform(d.geom, 3857))) FROM f JOIN districts d ON d.city_id = f.city_id AND d.geom && f.frame4326
UNION ALL SELECT 'o', ST_AsBinary(o.geom3857) FROM f JOIN settlements o ON o.city_id = f.city_id AND o.id <> f.id AND o.geom3857 && f.frame
UNION ALL SELECT 't', ST_AsBinary(ST_Transform(t.geom, 3857)) FROM f JOIN transit_stops t ON t.city_id = f.city_id AND t.geom && f.frame4326
UNION ALL SELECT 's', ST_AsBinary(f.geom3857) FROM f;
