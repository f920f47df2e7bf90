using Npgsql;

namespace UrbanMonitor.Database.Registration;

/// <summary>
/// The planner's statistics of the registry's partitioned tables (<c>properties</c>, <c>property_versions</c>), which
/// autovacuum never gathers for a partitioned table as a whole (migration 0144, <c>um_analyze_partitioned</c>).
/// </summary>
public static class RegistryStatistics
{
    /// <summary>Analyzes the partitioned tables that need it (or all, when <paramref name="force"/>: after a load, whose
    /// rows the partitions' counts do not show until autovacuum has seen them). Returns the tables analyzed. Waits for
    /// locks (autovacuum, an import's attach) a few seconds at most: a table it cannot lock is left for the next call.</summary>
    public static async Task<IReadOnlyList<string>> RefreshAsync(NpgsqlDataSource db, bool force, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var wait = new NpgsqlCommand("SET LOCAL lock_timeout = '5s'", conn, tx))
            await wait.ExecuteNonQueryAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT um_analyze_partitioned($1)", conn, tx) { CommandTimeout = 0 };
        cmd.Parameters.Add(new NpgsqlParameter { Value = force });
        try
        {
            var analyzed = (string[])(await cmd.ExecuteScalarAsync(ct))!;
            await tx.CommitAsync(ct);
            return analyzed;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return [];
        }
    }
}
