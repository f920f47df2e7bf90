using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Hosting;

namespace UrbanMonitor.Api.Features;

/// <summary>
/// <c>GET /collections/properties/changes?since={cursor}&amp;limit=&amp;city=</c>: every version of every property in
/// the order of the transactions that published them (created, updated, retired), each with the feature as it became
/// (public columns only), and the cursor to poll with next. A GIS team syncs by polling with the last cursor; a change
/// whose transaction is still running holds the feed back until it commits, so none is ever skipped (0145). Layers
/// without history have no feed.
/// </summary>
public static class ChangesApi
{
    private static readonly string ChangesSql = Sql.Load("Features/changes.sql");

    public const string CursorAhead = Problems.Prefix + "cursor-ahead";

    internal static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/collections/{collectionId}/changes", Changes).WithName("OgcChanges")
            .WithSummary("The collection's changes since a cursor (properties: every version, oldest first)")
            .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone);
    }

    // The parameters are bound for the OpenAPI document only; the handler reads and validates the query itself.
    internal static async Task Changes(string collectionId, [AsParameters] ChangesParameters _, HttpContext http, NpgsqlDataSource db,
        CancellationToken ct)
    {
        if (collectionId != "properties")
        {
            await Problem(http, 404, Problems.NotFound, "No change feed",
                $"Collection '{collectionId}' keeps no history, so it has no change feed; properties does.");
            return;
        }
        var q = http.Request.Query;
        var limit = 1000;
        if (q["limit"].FirstOrDefault() is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 10_000))
        {
            await Problem(http, 400, Problems.InvalidParameter, "Invalid limit", "limit must be a whole number from 1 to 10000.");
            return;
        }
        Position? since = null;
        if (q["since"].FirstOrDefault() is { Length: > 0 } text)
        {
            since = DecodeCursor(text);
            if (since is null)
            {
                await Problem(http, 400, Problems.InvalidParameter, "Invalid cursor", "since must be a cursor this feed returned.");
                return;
            }
        }
        var city = q["city"].FirstOrDefault();

        // One transaction: the feed's read lock and horizon first (um_feed_begin_read, 0145), then the page below it.
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
        long horizon, end;
        await using (var begin = new NpgsqlCommand(
            "SELECT um_feed_begin_read(), pg_snapshot_xmax(pg_current_snapshot())::text::bigint + um_feed_offset()", conn, tx))
        await using (var r = await begin.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            (horizon, end) = (r.GetInt64(0), r.GetInt64(1));
        }
        // Every position this feed gives lies below the transactions begun so far: one at or past them came from another
        // database, or from this one before it was restored from an older backup.
        if (since is { } ahead && ahead.Feed >= end)
        {
            await Problem(http, 410, CursorAhead, "Cursor ahead of this feed",
                "since points past every change this database has published: it came from another database, or from this one before it was restored from an older backup. Sync again from the start (without since).");
            return;
        }
        var from = since ?? new Position(-1, 0, 0, 0); // before every version
        await using var cmd = new NpgsqlCommand(ChangesSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = from.Feed, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = from.Micros, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = from.Id, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = from.Version, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = horizon, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)city ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);

        http.Response.ContentType = "application/json; charset=utf-8";
        var w = http.Response.BodyWriter;
        await w.WriteAsync("{\"changes\":["u8.ToArray(), ct);
        var count = 0;
        var last = since;
        while (await reader.ReadAsync(ct))
        {
            if (count++ > 0) await w.WriteAsync(",\n"u8.ToArray(), ct);
            await w.WriteAsync(Encoding.UTF8.GetBytes(reader.GetString(0)), ct);
            last = new Position(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4));
        }
        var cursor = last is { } c ? EncodeCursor(c) : "";
        var next = $"/collections/properties/changes?since={cursor}&limit={limit}" + (city is null ? "" : "&city=" + Uri.EscapeDataString(city));
        await w.WriteAsync(Encoding.UTF8.GetBytes(
            $"],\"numberReturned\":{count},\"cursor\":\"{cursor}\",\"links\":[{{\"rel\":\"next\",\"type\":\"application/json\",\"href\":\"{next}\"}}]}}"), ct);
    }

    /// <summary>A place in the feed: the publishing transaction's position (0: written before 0145), then the version's
    /// time, property and number.</summary>
    private readonly record struct Position(long Feed, long Micros, long Id, int Version);

    private static string EncodeCursor(Position c) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{c.Feed}.{c.Micros}.{c.Id}.{c.Version}")));

    private static readonly long MinMicros = (DateTimeOffset.MinValue - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
    private static readonly long MaxMicros = (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    private static Position? DecodeCursor(string text)
    {
        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)).Split('.');
            // A cursor from before 0145 has no transaction position: it lies among the versions written then (position 0).
            var feed = 0L;
            if (parts.Length == 4 && !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out feed)) return null;
            if (parts.Length == 4) parts = parts[1..];
            // The feed's own cursors hold commit times; an instant outside years 1-9999 overflows PostgreSQL's interval arithmetic.
            return parts.Length == 3
                   && long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var m)
                   && m >= MinMicros && m <= MaxMicros
                   && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                   && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? new Position(feed, m, id, v) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static Task Problem(HttpContext http, int status, string type, string title, string detail) =>
        TypedResults.Problem(type: type, title: title, statusCode: status, detail: detail).ExecuteAsync(http);
}
