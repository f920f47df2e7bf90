using Npgsql;
using UrbanMonitor.Api.Hosting;

namespace UrbanMonitor.Api.Settlements;

/// <summary>
/// Planners' analysis of informal settlements, computed by PostGIS in metres and people:
/// <c>GET /api/settlements/{id}</c> (metrics, districts, overlaps, properties inside, exposure, access) and
/// <c>GET /api/cities/{slug}/settlements/summary</c> (city and district figures).
/// </summary>
public static class SettlementsApi
{
    private static readonly string AnalysisSql = Sql.Load("Settlements/analysis.sql");
    private static readonly string SummarySql = Sql.Load("Settlements/summary.sql");

    public static IEndpointRouteBuilder MapSettlementsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/settlements/{id:long}", Analysis).WithTags("Settlements").WithName("SettlementAnalysis")
            .WithSummary("One settlement's analysis: area, perimeter, compactness, densities, districts, overlaps, properties inside, exposure, access")
            .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/api/cities/{slug}/settlements/summary", Summary).WithTags("Settlements").WithName("SettlementSummary")
            .WithSummary("A city's settlements: count, area, population and its share of the city's, per city and per district")
            .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    internal static async Task<IResult> Analysis(long id, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(AnalysisSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        return await cmd.ExecuteScalarAsync(ct) is string json
            ? Results.Text(json, "application/json; charset=utf-8")
            : TypedResults.Problem(type: Problems.NotFound, title: "Settlement not found", statusCode: StatusCodes.Status404NotFound,
                detail: $"There is no settlement {id}. /collections/settlements/items lists them.");
    }

    internal static async Task<IResult> Summary(string slug, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(SummarySql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = slug });
        return await cmd.ExecuteScalarAsync(ct) is string json ? Results.Text(json, "application/json; charset=utf-8") : Problems.CityMissing(slug);
    }
}
