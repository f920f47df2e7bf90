-- Property registration (issue 4): every version of every property, LADM-style parties and rights, and the
-- idempotency keys of creation requests. The properties row stays the current state; property_versions holds
-- every version including the current one (valid_to IS NULL). Nothing is ever physically deleted: retiring is a
-- new version with status 'retired'.

ALTER TABLE properties
    ADD COLUMN version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
    ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN surveyed_by text;

-- URLs name a property by its surrogate id alone (one identity sequence, so ids are unique across cities).
CREATE INDEX properties_id ON properties (id);

CREATE TABLE property_versions (
    city_id       integer NOT NULL,
    property_id   bigint NOT NULL,
    version       integer NOT NULL CHECK (version > 0),
    valid_from    timestamptz NOT NULL,
    valid_to      timestamptz CHECK (valid_to IS NULL OR valid_to >= valid_from),
    status        text NOT NULL CHECK (status IN ('surveyed', 'verified', 'registered', 'retired')),
    code          text NOT NULL,
    district_code text NOT NULL,
    block         text NOT NULL,
    parcel        text NOT NULL,
    attributes    jsonb NOT NULL DEFAULT '{}',
    geom          geometry(MultiPolygon, 4326) NOT NULL,
    changed_by    text,
    reason        text,
    PRIMARY KEY (city_id, property_id, version),
    FOREIGN KEY (city_id, property_id) REFERENCES properties (city_id, id) ON DELETE CASCADE
);
CREATE INDEX property_versions_geom_gist ON property_versions USING gist (geom);
CREATE INDEX property_versions_property ON property_versions (property_id, valid_from);
-- At most one open (current) version per property.
CREATE UNIQUE INDEX property_versions_current ON property_versions (city_id, property_id) WHERE valid_to IS NULL;

-- Version 1 of existing properties.
INSERT INTO property_versions (city_id, property_id, version, valid_from, status, code, district_code, block, parcel,
                               attributes, geom, changed_by, reason)
SELECT city_id, id, version, created_at, status, code, district_code, block, parcel, attributes, geom, surveyed_by, 'created'
FROM properties;

-- Rows inserted by any path (registration API, demo loader, imports) get their first version here. A statement-level
-- trigger with a transition table keeps bulk loads cheap: one INSERT … SELECT per statement, not one per row.
CREATE FUNCTION properties_first_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO property_versions (city_id, property_id, version, valid_from, status, code, district_code, block, parcel,
                                   attributes, geom, changed_by, reason)
    SELECT n.city_id, n.id, n.version, n.created_at, n.status, n.code, n.district_code, n.block, n.parcel,
           n.attributes, n.geom, n.surveyed_by, 'created'
    FROM inserted n
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER properties_first_version AFTER INSERT ON properties
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION properties_first_version();

-- LADM parties: persons, groups, organisations. Names in any script (Dari, Pashto, Latin …).
CREATE TABLE parties (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    kind        text NOT NULL CHECK (kind IN ('person', 'group', 'organisation')),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    id_document text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id)
);

-- LADM rights of a party on a property; shares of the rights of one property sum to 1.
CREATE TABLE rights (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    property_id bigint NOT NULL,
    party_id    bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('ownership', 'occupancy-certificate', 'customary', 'lease', 'informal-occupancy')),
    share       numeric NOT NULL CHECK (share > 0 AND share <= 1),
    valid_from  timestamptz NOT NULL DEFAULT now(),
    valid_to    timestamptz CHECK (valid_to IS NULL OR valid_to >= valid_from),
    PRIMARY KEY (city_id, id),
    FOREIGN KEY (city_id, property_id) REFERENCES properties (city_id, id) ON DELETE CASCADE,
    FOREIGN KEY (city_id, party_id) REFERENCES parties (city_id, id) ON DELETE CASCADE
);
CREATE INDEX rights_property ON rights (city_id, property_id);

-- Creation requests by Idempotency-Key: a retry with the same key and user gets the first response back.
CREATE TABLE idempotency_keys (
    city_id         integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    user_id         text NOT NULL,
    key             text NOT NULL,
    request_hash    text NOT NULL,
    response_status integer NOT NULL,
    response_body   text NOT NULL,
    location        text,
    etag            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, user_id, key)
);
