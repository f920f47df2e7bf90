-- Statistics of the partitioned parents (properties, property_versions since 0143). Autovacuum analyzes each partition
-- but never a partitioned table as a whole, and without the parent's statistics the planner guesses its joins: the
-- first feed page of a million parcels (properties joined to cities, ordered by key) was planned as a sort of every
-- row, 0.4 s instead of 10 ms. um_analyze_partitioned analyzes every partitioned table of the schema that has never
-- been analyzed, or (force) all of them, or those whose partitions, as autovacuum last counted them, hold more than 10 %
-- more or fewer rows than the parent did at its last analysis. The service calls it every minute, and the loaders and
-- imports after they publish parcels (forced: the partitions' counts lag behind a load until autovacuum catches up).
-- It returns the tables it analyzed. ANALYZE of a partitioned table samples all its partitions and analyzes each.
CREATE FUNCTION um_analyze_partitioned(force boolean DEFAULT false) RETURNS text[] LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    r record;
    done text[] := '{}';
BEGIN
    FOR r IN SELECT p.oid::regclass AS parent, p.reltuples AS parent_rows,
                    (SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)
                     FROM pg_partition_tree(p.oid) t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf) AS leaf_rows
             FROM pg_class p
             WHERE p.relkind = 'p' AND p.relnamespace = 'public'::regnamespace
             ORDER BY p.relname LOOP
        IF force OR r.parent_rows < 0 OR abs(r.leaf_rows - r.parent_rows) > 0.1 * greatest(r.parent_rows, 1000) THEN
            EXECUTE format('ANALYZE %s', r.parent);
            done := done || r.parent::text;
        END IF;
    END LOOP;
    RETURN done;
END
$$;

SELECT um_analyze_partitioned(true);
