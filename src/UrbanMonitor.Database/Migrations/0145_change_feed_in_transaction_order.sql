-- The change feed in transaction order. 0008 read versions by commit time (valid_from, the writing transaction's start)
-- and held back the last few seconds, so a transaction committing a little after it began was not skipped. One that
-- commits long after it began (an import publishing a million parcels row by row, or a city's own partition attached
-- twenty seconds after its versions were stamped) was skipped by every reader who had polled meanwhile.
--
-- Each version now carries feed_position: the id of the transaction that publishes it (pg_current_xact_id(), plus an
-- offset a restore into another cluster sets, below). The feed reads positions below the horizon, the oldest
-- transaction of this database still running when the reader's snapshot was taken: every transaction below it has
-- committed or never will, so nothing can land behind a reader's cursor later. Versions written before this migration
-- keep position 0 and their old order (valid_from, property_id, version), so an old cursor continues where it was.
--
-- A restore into another cluster (pg_restore of a backup) brings positions of that cluster's transactions, which may
-- be ahead of the new cluster's; the restore then redefines um_feed_offset() (its role owns the restored functions) so
-- new positions follow the restored ones (UrbanMonitor.Database.Backup.Backups.RestoreAsync). A later migration must
-- not redefine it.
CREATE FUNCTION um_feed_offset() RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT 0::bigint $$;

CREATE FUNCTION um_feed_position() RETURNS bigint LANGUAGE sql VOLATILE
    AS $$ SELECT pg_current_xact_id()::text::bigint + um_feed_offset() $$;

-- The oldest transaction in progress in the caller's snapshot (or its xmax when none is), leaving out those of another
-- database, a backend's or a prepared one's: transaction ids are the cluster's, and another database's long batch must
-- not stall this feed. One that ended after the snapshot was taken has no backend left to place it, so it counts (it
-- may be ours). A standby's snapshot lists no transaction in progress, so it has no horizon: the feed reads the primary.
CREATE FUNCTION um_feed_horizon() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT least(pg_snapshot_xmax(s)::text::bigint,
                 (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s) x
                  WHERE NOT EXISTS (SELECT 1 FROM pg_stat_get_activity(NULL) a
                                    WHERE a.backend_xid = x::xid
                                      AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))
                    AND NOT EXISTS (SELECT 1 FROM pg_prepared_xacts p
                                    WHERE p.transaction = x::xid AND p.database <> current_database())))
           + um_feed_offset()
    FROM pg_current_snapshot() s
$$;

-- Attaching a partition (a city's bulk import) makes rows visible that a reader's plan, made a moment before the attach
-- committed, does not include: PostgreSQL marks the transaction committed before the other sessions learn of the new
-- partition. So the attaching transaction takes this lock, exclusively, before it attaches and holds it through its
-- commit (um_feed_publish_lock), and a reader takes it shared for its whole read (um_feed_begin_read): no attach
-- commits between a reader's horizon and its plan, and one that committed before is in the plan.
CREATE FUNCTION um_feed_publish_lock() RETURNS void LANGUAGE sql VOLATILE
    AS $$ SELECT pg_advisory_xact_lock(5571840137270886657) $$;

-- Starts a read of the feed in the caller's transaction: the lock above, then the horizon, read after it.
CREATE FUNCTION um_feed_begin_read() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF pg_is_in_recovery() THEN
        RAISE EXCEPTION 'the change feed reads the primary: a standby cannot tell which transactions are still running';
    END IF;
    PERFORM pg_advisory_xact_lock_shared(5571840137270886657);
    RETURN um_feed_horizon();
END $$;

-- A constant default first: existing rows take 0 without a rewrite; then new rows' default.
ALTER TABLE property_versions ADD COLUMN feed_position bigint NOT NULL DEFAULT 0;
ALTER TABLE property_versions ALTER COLUMN feed_position SET DEFAULT um_feed_position();

DROP INDEX property_versions_changes;
CREATE INDEX property_versions_changes ON property_versions (feed_position, valid_from, property_id, version);
