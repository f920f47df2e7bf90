-- Source documents of a registration (issue 4): deed or qabala numbers, survey record references and their dates, as
-- a JSON array of {kind, reference, date}. Kept on the property and on every version, so the history shows them.
ALTER TABLE properties ADD COLUMN sources jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sources) = 'array');
ALTER TABLE property_versions ADD COLUMN sources jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sources) = 'array');

-- Version 1 of rows inserted by any path carries their sources too (same function as 0006, plus sources).
CREATE OR REPLACE FUNCTION properties_first_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO property_versions (city_id, property_id, version, valid_from, status, code, district_code, block, parcel,
                                   attributes, geom, changed_by, reason, sources)
    SELECT n.city_id, n.id, n.version, n.created_at, n.status, n.code, n.district_code, n.block, n.parcel,
           n.attributes, n.geom, n.surveyed_by, 'created', n.sources
    FROM inserted n
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
