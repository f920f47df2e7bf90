-- Lineage of split and merged properties (issue 4): which parent became which child, by which operation, when and by
-- whom. Parents are retired (a new version), never deleted, so both ends stay readable with their history.
CREATE TABLE property_lineage (
    city_id    integer NOT NULL,
    parent_id  bigint NOT NULL,
    child_id   bigint NOT NULL,
    operation  text NOT NULL CHECK (operation IN ('split', 'merge')),
    at         timestamptz NOT NULL DEFAULT now(),
    changed_by text,
    PRIMARY KEY (city_id, parent_id, child_id),
    FOREIGN KEY (city_id, parent_id) REFERENCES properties (city_id, id) ON DELETE CASCADE,
    FOREIGN KEY (city_id, child_id) REFERENCES properties (city_id, id) ON DELETE CASCADE
);
CREATE INDEX property_lineage_child ON property_lineage (child_id);
CREATE INDEX property_lineage_parent ON property_lineage (parent_id);
