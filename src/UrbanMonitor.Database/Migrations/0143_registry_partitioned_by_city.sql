-- The registry's two big tables, properties and property_versions, become tables partitioned by city (LIST on
-- city_id). Every row stays where it was: the existing tables become the DEFAULT partitions (properties_shared,
-- property_versions_shared), which keep holding every city that has no partition of its own. A big import into a city
-- with no parcels yet (Imports/ImportRunner) loads a table of that city's own, from two connections, builds its
-- indexes and keys after the load, and attaches it in one short transaction: nothing of it is visible before, and other
-- cities' rows and indexes are not touched. Before this, such a load kept every index of the shared table row by row
-- (a second 1M-parcel city took 43 s against 23 s for the first).
--
-- Names, keys, indexes, CHECK constraints, defaults, the generated Web Mercator column and the statement triggers are
-- those the tables had: they are read from the catalogue here and set again on the partitioned parents, whose
-- indexes adopt the partitions' (nothing is rebuilt). Every key and every foreign key includes city_id already, as a
-- partitioned table needs. The parcel ids go on from the same sequence value.
DO $migration$
DECLARE
    r record;
    -- Statements run once both parents exist and hold their partitions, in this order.
    keys text[] := '{}';
    indexes text[] := '{}';
    foreign_keys text[] := '{}';
    triggers text[] := '{}';
    last_id bigint;
    s text;
BEGIN
    -- Foreign keys from other tables to the two (and from the versions to the parcels), and from the two to cities.
    FOR r IN SELECT c.conrelid::regclass::text AS tab, quote_ident(c.conname) AS name, pg_get_constraintdef(c.oid) AS def
             FROM pg_constraint c
             WHERE c.contype = 'f'
               AND (c.confrelid IN ('properties'::regclass, 'property_versions'::regclass)
                    OR c.conrelid IN ('properties'::regclass, 'property_versions'::regclass))
             ORDER BY 1, 2 LOOP
        foreign_keys := foreign_keys || format('ALTER TABLE %s ADD CONSTRAINT %s %s', r.tab, r.name, r.def);
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %s', r.tab, r.name);
    END LOOP;

    -- Triggers (all statement-level; those with transition tables are allowed on a partitioned parent, not on a partition).
    FOR r IN SELECT t.tgrelid::regclass::text AS tab, quote_ident(t.tgname) AS name, pg_get_triggerdef(t.oid) AS def
             FROM pg_trigger t
             WHERE t.tgrelid IN ('properties'::regclass, 'property_versions'::regclass) AND NOT t.tgisinternal
             ORDER BY 1, 2 LOOP
        triggers := triggers || r.def;
        EXECUTE format('DROP TRIGGER %s ON %s', r.name, r.tab);
    END LOOP;

    -- Primary keys and unique constraints, then the other indexes, as the parents' (each adopts the partition's own).
    FOR r IN SELECT c.conrelid::regclass::text AS tab, quote_ident(c.conname) AS name, pg_get_constraintdef(c.oid) AS def
             FROM pg_constraint c
             WHERE c.contype IN ('p', 'u') AND c.conrelid IN ('properties'::regclass, 'property_versions'::regclass)
             ORDER BY c.contype, 1, 2 LOOP
        keys := keys || format('ALTER TABLE %s ADD CONSTRAINT %s %s', r.tab, r.name, r.def);
    END LOOP;
    FOR r IN SELECT pg_get_indexdef(i.indexrelid) AS def
             FROM pg_index i
             WHERE i.indrelid IN ('properties'::regclass, 'property_versions'::regclass)
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             ORDER BY i.indexrelid::regclass::text LOOP
        indexes := indexes || r.def;
    END LOOP;

    -- The old tables become the default partitions; their index names make way for the parents'.
    EXECUTE format('SELECT greatest((SELECT max(id) FROM properties),
                                    (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s))',
                   pg_get_serial_sequence('properties', 'id')) INTO last_id;
    ALTER TABLE properties RENAME TO properties_shared;
    ALTER TABLE property_versions RENAME TO property_versions_shared;
    FOR r IN SELECT i.indexrelid::regclass::text AS name, i.indrelid::regclass::text AS tab
             FROM pg_index i WHERE i.indrelid IN ('properties_shared'::regclass, 'property_versions_shared'::regclass) LOOP
        EXECUTE format('ALTER INDEX %s RENAME TO %s', r.name,
                       regexp_replace(r.name, '^(properties|property_versions)', r.tab));
    END LOOP;
    ALTER TABLE properties_shared ALTER COLUMN id DROP IDENTITY;

    CREATE TABLE properties (LIKE properties_shared INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS
                             INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY LIST (city_id);
    EXECUTE format('ALTER TABLE properties ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (START WITH %s)', last_id + 1);
    CREATE TABLE property_versions (LIKE property_versions_shared INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS
                                    INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY LIST (city_id);
    ALTER TABLE properties ATTACH PARTITION properties_shared DEFAULT;
    ALTER TABLE property_versions ATTACH PARTITION property_versions_shared DEFAULT;

    FOREACH s IN ARRAY keys || indexes || foreign_keys || triggers LOOP
        EXECUTE s;
    END LOOP;
END
$migration$;

COMMENT ON TABLE properties IS 'Parcels, partitioned by city: properties_shared holds every city without a partition of its own; properties_city_<id> are the cities a bulk import loaded.';
COMMENT ON TABLE property_versions IS 'Every version of every parcel, partitioned as properties is.';
