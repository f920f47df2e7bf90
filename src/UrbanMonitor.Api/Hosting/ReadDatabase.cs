using System.Text.Json;
using Npgsql;

namespace UrbanMonitor.Api.Hosting;

/// <summary>
/// Where a request's reads go. With a multi-host <c>URBANMONITOR_DB</c> (a primary and hot standbys) anonymous and
/// read-only users (<c>gis-reader</c>) read from a standby, and anyone whose roles can write reads from the primary,
/// so a user always reads their own writes at once; with one host both are the same. The rule is by role rather than
/// by "wrote in the last N seconds" because it needs no state shared between service instances and a writer's reads
/// are few beside the public tile and feed traffic that a standby exists to absorb.
/// </summary>
public sealed class ReadDatabase(NpgsqlDataSource primary, NpgsqlDataSource reads)
{
    private readonly NpgsqlDataSource reads = reads;

    /// <summary>Roles that write to the registry, sampling or users: their reads go to the primary.</summary>
    public static readonly IReadOnlyList<string> WritingRoles = ["admin", "land-officer", "supervisor", "planner", "community-facilitator"];

    public NpgsqlDataSource Primary => primary;

    /// <summary>True when reads may go to a standby (a multi-host connection string).</summary>
    public bool HasStandby => !ReferenceEquals(primary, reads);

    /// <summary>The data source for this request's reads (a standby, or the primary for writers and without standby).</summary>
    public NpgsqlDataSource For(HttpContext http) =>
        http.User.Identity?.IsAuthenticated == true && WritingRoles.Any(http.User.IsInRole) ? primary : reads;

    /// <summary>
    /// A standby that stops or restarts leaves broken connections in the pool, and Npgsql hands each out once before it
    /// learns the host is gone. A GET (it writes nothing) that fails that way before its response started is run once
    /// more on cleared pools, where the multi-host data source skips the dead host and reads from the primary. A read
    /// that timed out is not: its server answers, the request is heavy, and running it again would put the same work
    /// on the primary the standby is there to spare (it ends in 503, saying so).
    /// </summary>
    internal static async Task RetryReadOnceAsync(HttpContext http, RequestDelegate next)
    {
        var db = http.RequestServices.GetRequiredService<ReadDatabase>();
        if (!db.HasStandby || !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)))
        {
            await next(http);
            return;
        }
        try
        {
            await next(http);
        }
        catch (Exception e) when (!http.Response.HasStarted && DatabaseUnavailableHandler.IsUnavailable(e) && !DatabaseUnavailableHandler.TimedOut(e))
        {
            db.reads.Clear();
            http.Response.Clear();
            await next(http);
        }
    }

    /// <summary><c>GET /health/reads</c>: which server this caller's reads reach (whether it is in recovery, its port),
    /// so an operator can see the routing work.</summary>
    internal static async Task ReadsAsync(HttpContext http, ReadDatabase db, CancellationToken ct)
    {
        await using var cmd = db.For(http).CreateCommand("SELECT pg_is_in_recovery(), inet_server_port()");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body,
            new { server = reader.GetBoolean(0) ? "standby" : "primary", inRecovery = reader.GetBoolean(0), port = reader.IsDBNull(1) ? (int?)null : reader.GetInt32(1) },
            cancellationToken: ct);
    }
}
