using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Auth;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Database.Audit;

namespace UrbanMonitor.Api.Audit;

/// <summary><c>/api/audit</c> (admins): the append-only audit log of every write, and a check of its hash chain.
/// A background sealer chains new entries every few seconds.</summary>
public static class AuditApi
{
    private static readonly string ListSql = Sql.Load("Audit/list.sql");

    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddHostedService<AuditSealer>();
        return builder;
    }

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(AuthApi.Policies.Admin);
        api.MapGet("/", List).WithName("AuditLog")
            .WithSummary("Audit entries, newest first: ?city=slug&table=properties&record={\"id\":42}&before=<id>&limit=100 (admin)")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/verify", Verify).WithName("AuditVerify")
            .WithSummary("Seals pending entries and recomputes the whole hash chain: intact, head, and each break found (admin)");
        return app;
    }

    private static IResult Bad(string detail) => TypedResults.Problem(type: Problems.InvalidParameter, title: "Invalid parameter",
        statusCode: StatusCodes.Status400BadRequest, detail: detail);

    private static async Task<IResult> List(HttpContext http, NpgsqlDataSource db, string? city, string? table, string? record,
        long? before, int? limit, CancellationToken ct)
    {
        // The log holds every district's rows as they were, holders' names and ID documents included: an admin
        // assigned to some districts only reads those through the registry, and not the log.
        if (!DistrictClaims.All(http.User))
            return TypedResults.Problem(type: Problems.TypeFor(StatusCodes.Status403Forbidden), title: "Forbidden", statusCode: StatusCodes.Status403Forbidden,
                detail: "The audit log holds every district's records, holders' names and ID documents included: it is read by admins of all districts (districts *).");
        var size = limit ?? 100;
        if (size is < 1 or > 1000) return Bad("limit must be between 1 and 1000.");
        int? cityId = null;
        if (city is not null)
        {
            await using var find = db.CreateCommand("SELECT id FROM cities WHERE slug = $1");
            find.Parameters.Add(new NpgsqlParameter { Value = city });
            if (await find.ExecuteScalarAsync(ct) is not int id) return Problems.CityMissing(city);
            cityId = id;
        }
        string? key = null;
        if (record is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(record);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) return Bad("record must be a JSON object of key columns, e.g. {\"id\":42}.");
                key = doc.RootElement.GetRawText();
            }
            catch (JsonException e) { return Bad($"record is not JSON: {e.Message}"); }
        }
        await AuditLog.SealAsync(db, ct);
        await using var cmd = db.CreateCommand(ListSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)cityId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)table ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)before ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)key ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new NpgsqlParameter { Value = size });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var entries = new List<object>();
        long? last = null;
        while (await reader.ReadAsync(ct))
        {
            last = reader.GetInt64(0);
            entries.Add(new
            {
                id = last,
                seal = reader.IsDBNull(1) ? (long?)null : reader.GetInt64(1),
                at = reader.GetFieldValue<DateTimeOffset>(2),
                actor = reader.GetString(3),
                action = reader.GetString(4),
                table = reader.GetString(5),
                key = JsonDocument.Parse(reader.GetString(6)).RootElement,
                before = reader.IsDBNull(7) ? (JsonElement?)null : JsonDocument.Parse(reader.GetString(7)).RootElement,
                after = reader.IsDBNull(8) ? (JsonElement?)null : JsonDocument.Parse(reader.GetString(8)).RootElement,
                city = reader.GetString(9) is { Length: > 0 } s ? s : null,
                hash = reader.IsDBNull(10) ? null : reader.GetString(10),
            });
        }
        var next = entries.Count == size && last is { } l
            ? $"{http.Request.Path}?{string.Join('&', new[] { city is null ? null : $"city={Uri.EscapeDataString(city)}", table is null ? null : $"table={Uri.EscapeDataString(table)}", record is null ? null : $"record={Uri.EscapeDataString(record)}", $"before={l}", $"limit={size}" }.Where(p => p is not null))}"
            : null;
        return Results.Json(new { entries, next });
    }

    private static async Task<IResult> Verify(NpgsqlDataSource db, CancellationToken ct)
    {
        await AuditLog.SealAsync(db, ct);
        var problems = await AuditLog.VerifyAsync(db, ct);
        var head = await AuditLog.HeadAsync(db, ct);
        return Results.Json(new
        {
            intact = problems.Count == 0,
            @sealed = head.Sealed,
            head = head.Hash,
            unsealed = head.Unsealed,
            problems = problems.Select(p => new { seal = p.SealSeq, id = p.AuditId, reason = p.Reason }),
        });
    }
}

/// <summary>Chains new audit entries every few seconds, so tampering becomes detectable soon after each write.</summary>
internal sealed partial class AuditSealer(NpgsqlDataSource db, ILogger<AuditSealer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(3));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try { await AuditLog.SealAsync(db, stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or TimeoutException) { LogSealFailed(logger, e.Message); }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Audit sealing skipped this round: {Reason}")]
    private static partial void LogSealFailed(ILogger logger, string reason);
}
