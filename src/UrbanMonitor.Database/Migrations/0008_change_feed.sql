-- The change feed of properties reads versions in commit-time order by keyset: (valid_from, property_id, version).
CREATE INDEX property_versions_changes ON property_versions (valid_from, property_id, version);
