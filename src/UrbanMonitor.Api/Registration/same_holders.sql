-- Whether the properties $1 of city $2 all hold the same current rights (kind, share and the party's kind, name and ID document),
-- so that a merged parcel can carry them over unchanged.
WITH held AS (
    SELECT r.property_id,
           array_agg(concat_ws(E'\x1f', r.kind, r.share::text, p.kind, p.name, coalesce(p.id_document, ''))
                     ORDER BY r.kind, r.share, p.kind, p.name, p.id_document) AS holders
    FROM unnest($1::bigint[]) AS i(id)
    JOIN rights r ON r.city_id = $2 AND r.property_id = i.id AND (r.valid_to IS NULL OR r.valid_to > now())
    JOIN parties p ON p.city_id = r.city_id AND p.id = r.party_id
    GROUP BY r.property_id
)
SELECT count(*) = cardinality($1::bigint[]) AND count(DISTINCT holders) = 1 FROM held;
