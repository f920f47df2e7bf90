using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Database.Auth;

namespace UrbanMonitor.Api.Sampling;

/// <summary>
/// Sample areas and national samples of cities (UN-Habitat National Sample of Cities method):
/// <c>POST/GET /api/sample-areas</c>, <c>GET /api/sample-areas/{code}</c>, <c>/cells</c> (GeoJSON), <c>/estimates?quantity=</c>,
/// and <c>POST/GET /api/national-samples</c>. Writes need the planner or admin role; reads are public (no personal data).
/// </summary>
public static class SamplingApi
{
    private static readonly string CellsSql = Sql.Load("Sampling/cells.sql");

    /// <summary>Problem type URIs of this API.</summary>
    public static class ProblemTypes
    {
        public const string InvalidDesign = Problems.Prefix + "invalid-sample-design";
        public const string NoUrbanExtent = Problems.Prefix + "no-urban-extent";
        public const string SampleNotFound = Problems.Prefix + "sample-not-found";
        public const string UnknownQuantity = Problems.Prefix + "unknown-quantity";
        public const string InvalidUniverse = Problems.Prefix + "invalid-city-universe";
    }

    public static IEndpointRouteBuilder MapSamplingApi(this IEndpointRouteBuilder app)
    {
        var writers = new[] { Roles.Planner, Roles.Admin };
        var api = app.MapGroup("/api").WithTags("Sampling");
        api.MapPost("/sample-areas", CreateSampleAreas).RequireAuthorization(p => p.RequireRole(writers)).WithName("CreateSampleAreas")
            .WithSummary("Draws a stratified, seeded sample of grid cells over a city's urban extent (planner, admin)")
            .Produces(StatusCodes.Status201Created, contentType: "application/json").ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/sample-areas", ListSampleAreas).WithName("ListSampleAreas").WithSummary("The sample-area designs, optionally of one city (?city=slug)");
        api.MapGet("/sample-areas/{code}", GetSampleArea).WithName("GetSampleArea")
            .WithSummary("One sample-area design: grid, stratification, allocation, seed and strata (N_h, n_h)").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/sample-areas/{code}/cells", Cells).WithName("SampleAreaCells")
            .WithSummary("The drawn cells as GeoJSON with inclusion probability and weight (?all=true: the whole frame)")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/sample-areas/{code}/estimates", Estimates).WithName("SampleAreaEstimates")
            .WithSummary("Design-based estimate of a quantity (population, built-up, settlement-population-share, properties) with SE and 95 % CI, beside the census value")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/national-samples", CreateNationalSample).RequireAuthorization(p => p.RequireRole(writers)).WithName("CreateNationalSample")
            .WithSummary("Draws a national sample of cities from an uploaded universe (JSON or CSV), stratified by region × size class")
            .Accepts<JsonObject>("application/json", "text/csv").Produces(StatusCodes.Status201Created, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapGet("/national-samples/{code}", GetNationalSample).WithName("GetNationalSample")
            .WithSummary("A drawn national sample of cities with its strata, weights and parameters").ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    internal static IResult Bad(string type, string title, string detail, int status = StatusCodes.Status400BadRequest) =>
        TypedResults.Problem(type: type, title: title, detail: detail, statusCode: status);

    private static IResult NotFound(string code) => Bad(ProblemTypes.SampleNotFound, "Sample not found",
        $"There is no sample '{code}'. GET /api/sample-areas lists them.", StatusCodes.Status404NotFound);

    private static IResult Json(object value, int status = StatusCodes.Status200OK, string? location = null) =>
        new JsonCreated(value, status, location);

    internal static async Task<IResult> CreateSampleAreas(HttpRequest request, NpgsqlDataSource db, CancellationToken ct)
    {
        SampleAreaRequest? body;
        try { body = await JsonSerializer.DeserializeAsync<SampleAreaRequest>(request.Body, JsonOptions, ct); }
        catch (JsonException e) { return Bad(ProblemTypes.InvalidDesign, "Unreadable body", $"The body is not a sample design in JSON: {e.Message}"); }
        if (body is null) return Bad(ProblemTypes.InvalidDesign, "Empty body", "Send a JSON sample design.");
        var result = await SampleAreas.CreateAsync(db, body, ct);
        return result.Problem ?? Json(result.Design!, StatusCodes.Status201Created, $"/api/sample-areas/{result.Code}");
    }

    internal static async Task<IResult> ListSampleAreas(string? city, NpgsqlDataSource db, CancellationToken ct) =>
        Json(await SampleAreas.ListAsync(db, city, ct));

    internal static async Task<IResult> GetSampleArea(string code, NpgsqlDataSource db, CancellationToken ct) =>
        await SampleAreas.DescribeAsync(db, code, ct) is { } design ? Json(design) : NotFound(code);

    internal static async Task<IResult> Cells(string code, bool? all, NpgsqlDataSource db, CancellationToken ct)
    {
        if (await SampleAreas.DescribeAsync(db, code, ct) is null) return NotFound(code);
        await using var cmd = db.CreateCommand(CellsSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = code });
        cmd.Parameters.Add(new NpgsqlParameter { Value = all ?? false });
        return Results.Text((string)(await cmd.ExecuteScalarAsync(ct))!, "application/geo+json; charset=utf-8");
    }

    internal static async Task<IResult> Estimates(string code, string? quantity, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!SampleAreas.Quantities.TryGetValue(quantity ?? "", out var q))
            return Bad(ProblemTypes.UnknownQuantity, "Unknown quantity",
                $"quantity must be one of {string.Join(", ", SampleAreas.Quantities.Keys)}; it was '{quantity}'.");
        return await SampleAreas.EstimateAsync(db, code, q, ct) is { } estimate ? Json(estimate) : NotFound(code);
    }

    internal static async Task<IResult> CreateNationalSample(HttpRequest request, NpgsqlDataSource db, CancellationToken ct)
    {
        var parsed = await NationalSamples.ParseAsync(request, ct);
        if (parsed.Problem is not null) return parsed.Problem;
        var stored = await NationalSamples.DrawAndStoreAsync(db, parsed.Request!, ct);
        return stored.Problem ?? Json(stored.Body!, StatusCodes.Status201Created, $"/api/national-samples/{stored.Code}");
    }

    internal static async Task<IResult> GetNationalSample(string code, NpgsqlDataSource db, CancellationToken ct) =>
        await NationalSamples.GetAsync(db, code, ct) is { } json ? Results.Text(json, "application/json; charset=utf-8")
            : Bad(ProblemTypes.SampleNotFound, "National sample not found", $"There is no national sample '{code}'.", StatusCodes.Status404NotFound);

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>JSON with a status and an optional Location header.</summary>
    private sealed class JsonCreated(object value, int status, string? location) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            if (location is not null) http.Response.Headers.Location = location;
            return http.Response.WriteAsJsonAsync(value, value.GetType(), JsonOptions, "application/json; charset=utf-8", http.RequestAborted);
        }
    }
}

/// <summary>A request for sample areas. <c>cellSizeHa</c> is the cell area in hectares (10 ha = 100,000 m²).</summary>
public sealed record SampleAreaRequest(
    string? City, string? Shape, double? CellSizeHa, string? Stratification, string? Allocation, int? SampleSize, long? Seed,
    int? Epoch, string? Extent, string? NeymanQuantity);
