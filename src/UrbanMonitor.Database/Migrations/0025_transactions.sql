-- Registry transactions (issue 5): documents, transactions lodged by land officers and applied on a supervisor's
-- approval, disputes and objections, public display periods, and addresses of properties.

-- Encumbrances live beside the rights (LADM restrictions): a mortgage or other encumbrance held by a party.
ALTER TABLE rights DROP CONSTRAINT rights_kind_check;
ALTER TABLE rights ADD CONSTRAINT rights_kind_check CHECK (kind IN
    ('ownership', 'occupancy-certificate', 'customary', 'lease', 'informal-occupancy', 'mortgage', 'encumbrance'));

-- Scanned deeds, survey plans, photos: the bytes themselves (bytea) with their SHA-256, attached to one record.
CREATE TABLE documents (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    record_kind text NOT NULL CHECK (record_kind IN ('property', 'transaction', 'dispute', 'display')),
    record_id   bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('deed', 'survey-plan', 'photo', 'decision', 'other')),
    file_name   text NOT NULL,
    media_type  text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/tiff')),
    size_bytes  integer NOT NULL CHECK (size_bytes > 0),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content     bytea NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id)
);
CREATE INDEX documents_id ON documents (id);
CREATE INDEX documents_record ON documents (record_kind, record_id);

-- A change of rights lodged by a land officer; applied (rights closed/opened, a new property version) only when a
-- supervisor other than the lodger approves it. `changes` keeps what was asked: rights to close and rights to open.
CREATE TABLE transactions (
    city_id          integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    property_id      bigint NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('sale', 'gift', 'inheritance', 'lease', 'mortgage', 'encumbrance',
                                                   'discharge', 'correction')),
    status           text NOT NULL DEFAULT 'lodged' CHECK (status IN ('lodged', 'approved', 'rejected')),
    changes          jsonb NOT NULL,
    reason           text,
    document_id      bigint NOT NULL,
    lodged_by        text NOT NULL,
    lodged_at        timestamptz NOT NULL DEFAULT now(),
    decided_by       text,
    decided_at       timestamptz,
    decision_note    text,
    applied_version  integer,
    PRIMARY KEY (city_id, id),
    FOREIGN KEY (city_id, property_id) REFERENCES properties (city_id, id) ON DELETE CASCADE,
    FOREIGN KEY (city_id, document_id) REFERENCES documents (city_id, id)
);
CREATE INDEX transactions_id ON transactions (id);
CREATE INDEX transactions_property ON transactions (property_id);
-- One transaction in flight per property: a second one waits until the first is decided.
CREATE UNIQUE INDEX transactions_one_lodged ON transactions (city_id, property_id) WHERE status = 'lodged';

-- Public display periods: a batch of verified claims in an area, shown publicly until ends_at.
CREATE TABLE display_periods (
    city_id       integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    area          geometry(MultiPolygon, 4326) NOT NULL,
    district_code text,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL CHECK (ends_at > starts_at),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by    text NOT NULL,
    closed_by     text,
    closed_at     timestamptz,
    PRIMARY KEY (city_id, id)
);
CREATE INDEX display_periods_id ON display_periods (id);
CREATE INDEX display_periods_area_gist ON display_periods USING gist (area);

CREATE TABLE display_claims (
    city_id     integer NOT NULL,
    display_id  bigint NOT NULL,
    property_id bigint NOT NULL,
    outcome     text CHECK (outcome IN ('registered', 'held')),
    PRIMARY KEY (city_id, display_id, property_id),
    FOREIGN KEY (city_id, display_id) REFERENCES display_periods (city_id, id) ON DELETE CASCADE,
    FOREIGN KEY (city_id, property_id) REFERENCES properties (city_id, id) ON DELETE CASCADE
);
CREATE INDEX display_claims_property ON display_claims (property_id);

-- Disputes and objections against a claim or a boundary. An objector who is not a user is recorded by an officer
-- (objector_name, lodged_by = the officer). Resolved with a decision and its document.
CREATE TABLE disputes (
    city_id              integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id                   bigint GENERATED ALWAYS AS IDENTITY,
    property_id          bigint NOT NULL,
    kind                 text NOT NULL CHECK (kind IN ('claim', 'boundary')),
    status               text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    statement            text NOT NULL CHECK (btrim(statement) <> ''),
    objector_name        text NOT NULL CHECK (btrim(objector_name) <> ''),
    lodged_by            text NOT NULL,
    lodged_at            timestamptz NOT NULL DEFAULT now(),
    display_id           bigint,
    decision             text,
    decision_document_id bigint,
    resolved_by          text,
    resolved_at          timestamptz,
    PRIMARY KEY (city_id, id),
    FOREIGN KEY (city_id, property_id) REFERENCES properties (city_id, id) ON DELETE CASCADE,
    FOREIGN KEY (city_id, decision_document_id) REFERENCES documents (city_id, id),
    CHECK (status = 'open' OR (decision IS NOT NULL AND decision_document_id IS NOT NULL))
);
CREATE INDEX disputes_id ON disputes (id);
CREATE INDEX disputes_open ON disputes (property_id) WHERE status = 'open';

-- A simple address per property.
CREATE TABLE property_addresses (
    city_id     integer NOT NULL,
    property_id bigint NOT NULL,
    street      text NOT NULL CHECK (btrim(street) <> ''),
    number      text,
    locality    text NOT NULL CHECK (btrim(locality) <> ''),
    PRIMARY KEY (city_id, property_id),
    FOREIGN KEY (city_id, property_id) REFERENCES properties (city_id, id) ON DELETE CASCADE
);
