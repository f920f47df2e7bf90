-- The current rights of property $2 of city $1 carried over to property $3 (a child of a split or subdivision, or a
-- merged parcel): the same parties, kinds, shares and end dates, valid from now; only the kinds in $4 when not null.
INSERT INTO rights (city_id, property_id, party_id, kind, share, valid_to)
SELECT city_id, $3, party_id, kind, share, valid_to
FROM rights
WHERE city_id = $1 AND property_id = $2 AND (valid_to IS NULL OR valid_to > now())
  AND ($4::text[] IS NULL OR kind = ANY ($4))
ORDER BY id;
