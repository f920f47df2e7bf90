-- The floor under the import benchmark (run by bench/import.sh on the database the service just imported into).
-- It times, on the same rows in the same run, each piece of work the registry's import must do, on one backend (no
-- parallel workers, no JIT), and prints a Markdown table: what ogr2ogr also does, and what only the registry does
-- (its validation, its generated Web Mercator column, version 1 of every parcel, its other indexes and keys).
-- Every table this script creates is dropped again; the indexes and the foreign key it rebuilds are the registry's own.
\set ON_ERROR_STOP 1
-- Hint bits set and statistics taken first, so that the first step to read each table does not pay for them, and
-- autovacuum, which the fresh rows would wake, does not hold up a step that needs a stronger lock.
VACUUM ANALYZE properties, property_versions;
SET jit = off;
SET max_parallel_workers_per_gather = 0;
SET max_parallel_maintenance_workers = 0;
SET maintenance_work_mem = '256MB';   -- what the import's bulk publish sets for its index builds
CREATE TEMP TABLE floor_steps (n serial, step text, who text, ms numeric);

CREATE FUNCTION pg_temp.timed(sql text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    EXECUTE sql;
    RETURN round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000);
END $$;

DO $$
DECLARE
    r record;
BEGIN
    CREATE TABLE floor_rows (ogc_fid serial PRIMARY KEY, district_code text, block text, parcel text, geom geometry(MultiPolygon, 4326));
    INSERT INTO floor_steps (step, who, ms) VALUES ('write each parcel once: 3 attributes and the geometry, serial key (ogr2ogr''s table)', 'both',
        pg_temp.timed('INSERT INTO floor_rows (district_code, block, parcel, geom) SELECT district_code, block, parcel, geom FROM properties'));
    INSERT INTO floor_steps (step, who, ms) VALUES ('its GiST index', 'both',
        pg_temp.timed('CREATE INDEX ON floor_rows USING gist (geom)'));
    DROP TABLE floor_rows;

    INSERT INTO floor_steps (step, who, ms) VALUES ('validation: ST_IsValid of every geometry (the other rules are cheaper)', 'registry',
        pg_temp.timed('SELECT count(*) FROM properties WHERE NOT ST_IsValid(geom)'));

    CREATE TABLE floor_props (LIKE properties INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING CONSTRAINTS);
    INSERT INTO floor_steps (step, who, ms) VALUES ('write each parcel as a registry row instead: code, attributes, the generated geom3857 (no index)', 'registry',
        pg_temp.timed('INSERT INTO floor_props (city_id, code, district_code, block, parcel, attributes, geom)
                       SELECT city_id, code, district_code, block, parcel, attributes, geom FROM properties'));
    DROP TABLE floor_props;

    CREATE TABLE floor_versions (LIKE property_versions INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
    INSERT INTO floor_steps (step, who, ms) VALUES ('version 1 of every parcel (property_versions, geometry included)', 'registry',
        pg_temp.timed('INSERT INTO floor_versions (city_id, property_id, version, valid_from, status, code, district_code, block, parcel, attributes, geom)
                       SELECT city_id, id, 1, created_at, status, code, district_code, block, parcel, attributes, geom FROM properties'));
    DROP TABLE floor_versions;

    -- Both tables are partitioned by city: the indexes are those of the partitions that hold the rows.
    FOR r IN SELECT i.indexrelid::regclass AS name, i.indrelid::regclass AS tab
             FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
             WHERE c.reltuples > 0 AND i.indrelid IN (SELECT relid FROM pg_partition_tree('properties') WHERE isleaf
                                                     UNION ALL SELECT relid FROM pg_partition_tree('property_versions') WHERE isleaf)
             ORDER BY 2, 1 LOOP
        INSERT INTO floor_steps (step, who, ms) VALUES (format('index %s on %s', r.name, r.tab), 'registry',
            pg_temp.timed(format('REINDEX INDEX %s', r.name)));
    END LOOP;

    -- The check PostgreSQL makes when it validates the key at once (a partition's inherited key cannot be dropped to re-add it).
    INSERT INTO floor_steps (step, who, ms) VALUES ('foreign key of the versions to their parcels, checked once', 'registry',
        pg_temp.timed('SELECT count(*) FROM property_versions v WHERE NOT EXISTS (SELECT 1 FROM properties p WHERE p.city_id = v.city_id AND p.id = v.property_id)'));
END $$;

\pset format unaligned
\pset tuples_only on
\pset fieldsep ' | '
SELECT '| step (' || to_char(:n::bigint, 'FM999,999,999') || ' parcels, one backend) | done by | s |' UNION ALL SELECT '|---|---|---|';
SELECT '| ' || step || ' | ' || CASE who WHEN 'both' THEN 'ogr2ogr and the service' ELSE 'the service only' END || ' | ' || round(ms / 1000, 2) || ' |'
FROM floor_steps ORDER BY n;
SELECT '| **ogr2ogr''s table in all** | | **' || round(sum(ms) FILTER (WHERE who = 'both') / 1000, 2) || '** |'
       || E'\n| **the registry''s rows in all** (its own row write and GiST index included) | | **'
       || round(sum(ms) FILTER (WHERE who = 'registry') / 1000, 2) || '** |'
FROM floor_steps;
