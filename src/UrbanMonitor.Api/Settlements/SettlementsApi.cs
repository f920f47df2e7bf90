using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Hosting;

namespace UrbanMonitor.Api.Settlements;

/// <summary>
/// Planners' analysis of informal settlements, computed by PostGIS in metres and people:
/// <c>GET /api/settlements/{id}</c> (metrics, deprivations, survey rounds and change, districts, overlaps, properties
/// inside, exposure, access), its printable report <c>/report.html</c> with a map <c>/map.png</c>,
/// <c>GET /api/cities/{slug}/settlements/analysis</c> (every settlement, set-wise) and
/// <c>GET /api/cities/{slug}/settlements/summary</c> (city and district figures).
/// </summary>
public static class SettlementsApi
{
    private static readonly string AnalysisSql = Sql.Load("Settlements/analysis.sql");
    private static readonly string AnalysisAllSql = Sql.Load("Settlements/analysis_all.sql");
    private static readonly string SummarySql = Sql.Load("Settlements/summary.sql");
    private static readonly string CompareSql = Sql.Load("Settlements/compare.sql");

    public static IEndpointRouteBuilder MapSettlementsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/settlements/{id:long}", Analysis).WithTags("Settlements").WithName("SettlementAnalysis")
            .WithSummary("One settlement's analysis (the planner's report as JSON): area, perimeter, compactness, densities, deprivations, survey rounds and change (?from=&to= rounds), districts, overlaps, properties inside, exposure, access")
            .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/api/settlements/{id:long}/rounds.geojson", Compare).WithTags("Settlements").WithName("SettlementRoundsCompared")
            .WithSummary("Two survey rounds of a settlement for the map (?from=&to=, default the previous and the current): both outlines, the area added and the area lost, with areas in m²")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/api/settlements/{id:long}/report.html", Report).WithTags("Settlements").WithName("SettlementReport")
            .WithSummary("The planner's printable report of one settlement, with a map image")
            .Produces(StatusCodes.Status200OK, contentType: "text/html").ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/api/settlements/{id:long}/map.png", Map).WithTags("Settlements").WithName("SettlementMap")
            .WithSummary("A map of the settlement and its surroundings (PNG, 800×600)")
            .Produces(StatusCodes.Status200OK, contentType: "image/png").ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/api/cities/{slug}/settlements/analysis", AnalysisAll).WithTags("Settlements").WithName("SettlementsAnalysis")
            .WithSummary("Every settlement of a city in one set-wise query: metrics, properties inside, certificates and service-charge collection, nearest stop and facility of each kind, shares within 500 m / 1 km of them")
            .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/api/cities/{slug}/settlements/summary", Summary).WithTags("Settlements").WithName("SettlementSummary")
            .WithSummary("A city's settlements: count, area, population and its share of the city's, per city and per district")
            .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static IResult Missing(long id) => TypedResults.Problem(type: Problems.NotFound, title: "Settlement not found",
        statusCode: StatusCodes.Status404NotFound, detail: $"There is no settlement {id}. /collections/settlements/items lists them.");

    private static async Task<string?> AnalysisJsonAsync(NpgsqlDataSource db, long id, string? from, string? to, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(AnalysisSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)from ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)to ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    internal static async Task<IResult> Analysis(long id, string? from, string? to, NpgsqlDataSource db, CancellationToken ct)
    {
        if (from is { Length: 0 } || to is { Length: 0 })
            return TypedResults.Problem(type: Problems.InvalidParameter, title: "Empty survey round", statusCode: StatusCodes.Status400BadRequest,
                detail: "from and to name survey rounds (e.g. from=2010&to=2024); leave them out to compare the latest two.");
        return await AnalysisJsonAsync(db, id, from, to, ct) is { } json ? Results.Text(json, "application/json; charset=utf-8") : Missing(id);
    }

    internal static async Task<IResult> Compare(long id, string? from, string? to, NpgsqlDataSource db, CancellationToken ct)
    {
        if (from is { Length: 0 } || to is { Length: 0 })
            return TypedResults.Problem(type: Problems.InvalidParameter, title: "Empty survey round", statusCode: StatusCodes.Status400BadRequest,
                detail: "from and to name survey rounds (e.g. from=2010&to=2024); leave them out to compare the latest two.");
        await using var cmd = db.CreateCommand(CompareSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)from ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)to ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        if (!r.GetBoolean(0)) return Missing(id);
        if (r.IsDBNull(2) || r.IsDBNull(3))
        {
            var rounds = r.IsDBNull(1) ? [] : r.GetFieldValue<string[]>(1);
            return TypedResults.Problem(type: Problems.NotFound, title: "Survey round not found", statusCode: StatusCodes.Status404NotFound,
                detail: (from ?? to) is null
                    ? $"Settlement {id} has no earlier survey round to compare with (rounds: {string.Join(", ", rounds)})."
                    : $"Settlement {id} has no round {(r.IsDBNull(2) ? from ?? "before the current one" : to)}; its rounds: {string.Join(", ", rounds)}.");
        }
        return Results.Text(r.GetString(4), "application/geo+json; charset=utf-8");
    }

    internal static async Task<IResult> Report(long id, NpgsqlDataSource db, CancellationToken ct) =>
        await AnalysisJsonAsync(db, id, null, null, ct) is { } json
            ? Results.Text(SettlementReport.Html(json), "text/html; charset=utf-8")
            : Missing(id);

    internal static async Task<IResult> Map(long id, NpgsqlDataSource db, CancellationToken ct) =>
        await SettlementReport.MapAsync(db, id, ct) is { } png ? Results.Bytes(png, "image/png") : Missing(id);

    internal static async Task<IResult> AnalysisAll(string slug, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(AnalysisAllSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = slug });
        cmd.CommandTimeout = 120;
        return await cmd.ExecuteScalarAsync(ct) is string json ? Results.Text(json, "application/json; charset=utf-8") : Problems.CityMissing(slug);
    }

    internal static async Task<IResult> Summary(string slug, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(SummarySql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = slug });
        return await cmd.ExecuteScalarAsync(ct) is string json ? Results.Text(json, "application/json; charset=utf-8") : Problems.CityMissing(slug);
    }
}
