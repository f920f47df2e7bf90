using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace UrbanMonitor.Api.Features;

/// <summary>Change-feed settings (section <c>Features</c>).</summary>
public sealed class ChangeFeedOptions
{
    /// <summary>A transaction of the database that has written and stayed open longer than this holds the change feed
    /// back all that time (it reads up to the oldest transaction still running): readiness then says Degraded, naming it.</summary>
    public double HeldBackWarningSeconds { get; set; } = 600;
}

/// <summary>
/// Degraded (still 200) while a writing transaction of this database has been open longer than
/// <see cref="ChangeFeedOptions.HeldBackWarningSeconds"/>: a session left idle in a transaction, a batch that runs for
/// hours. The change feed returns nothing published after it began until it ends (0145), and vacuum keeps every row
/// version it could see. PostgreSQL shows a transaction's start only to its own role and to members of
/// <c>pg_read_all_stats</c>, so this sees the service role's own sessions, or all of them when it is such a member.
/// </summary>
public sealed class ChangeFeedHealthCheck(NpgsqlDataSource db, IOptions<ChangeFeedOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var limit = options.Value.HeldBackWarningSeconds;
        await using var cmd = db.CreateCommand("""
            SELECT a.pid, coalesce(a.state, ''), a.xact_start, extract(epoch FROM now() - a.xact_start)::bigint
            FROM pg_stat_activity a
            WHERE a.datname = current_database() AND a.backend_xid IS NOT NULL AND a.pid <> pg_backend_pid()
              AND a.xact_start < now() - make_interval(secs => $1)
            ORDER BY a.xact_start
            LIMIT 1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        try
        {
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) return HealthCheckResult.Healthy("No writing transaction has been open longer than " + Minutes(limit) + ".");
            return HealthCheckResult.Degraded(
                $"A writing transaction (backend {r.GetInt32(0)}, {r.GetString(1)}) has been open since {r.GetFieldValue<DateTimeOffset>(2):u}, " +
                $"{Minutes(r.GetInt64(3))}: the change feed returns nothing published after it began until it ends. " +
                "End it (commit, roll back, or pg_terminate_backend) if it was left open.");
        }
        catch (NpgsqlException e)
        {
            // Reachability is the postgis check's to judge; this one only could not look.
            return HealthCheckResult.Degraded("Cannot read the database's transactions: " + e.Message);
        }
    }

    private static string Minutes(double seconds) =>
        seconds < 120 ? $"{seconds:0} s" : $"{seconds / 60:0} min";
}
