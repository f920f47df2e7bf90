using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using UrbanMonitor.Database.Indicators;

namespace UrbanMonitor.Api.Indicators;

/// <summary>
/// Urban Monitoring Framework / SDG 11 indicators: <c>GET /api/indicators</c> (the catalogue),
/// <c>/api/indicators/{code}?city=&amp;district=&amp;at=</c> (computed now or as of <c>at</c>, JSON or <c>?format=csv</c>), <c>…/explain</c> (the
/// contributing features), <c>…/series</c> (over the epochs available) and <c>/api/indicators/results?city=</c> (the
/// stored results kept current by <see cref="IndicatorUpdater"/>).
/// </summary>
public static class IndicatorsApi
{
    public static WebApplicationBuilder AddIndicators(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IndicatorOptions>().BindConfiguration("Indicators");
        builder.Services.AddHostedService<IndicatorUpdater>();
        return builder;
    }

    public static IEndpointRouteBuilder MapIndicatorsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/indicators").WithTags("Indicators");
        api.MapGet("/", () => Results.Json(new { indicators = IndicatorEngine.Catalogue.Select(d => new
            {
                d.Code, d.Name, d.Definition, d.Formula, d.Unit, d.Method, d.MethodVersion, d.Layers,
            }) }))
            .WithName("ListIndicators").WithSummary("The indicators: definition, formula, unit, method and method version");
        api.MapGet("/results", Stored).WithName("StoredIndicatorResults")
            .WithSummary("The stored results of a city (per district and for the whole city, district \"\"), JSON or ?format=csv")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{code}", Compute).WithName("ComputeIndicator")
            .WithSummary("Compute one indicator for a city (and optionally one district): value, unit, method, inputs, provenance; ?year= and ?baseline= (fiscal years) for the service-charge indicators; ?at= as of an earlier instant (11.1.1, registration coverage, tenure security, the service-charge indicators); ?format=csv")
            .Produces<IndicatorResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{code}/explain", Explain).WithName("ExplainIndicator")
            .WithSummary("The contributing features of each term of the formula, whose values add up to the term")
            .Produces<Explanation>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{code}/series", Series).WithName("IndicatorSeries")
            .WithSummary("The indicator over the built-up epochs and population years available")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private sealed record Scope(IndicatorDefinition Definition, IndicatorCity City, string? District, IndicatorQuery Query);

    private static async Task<(Scope? Scope, IResult? Problem)> ResolveAsync(string? code, string? city, string? district, string? at,
        NpgsqlDataSource db, CancellationToken ct, string? year = null, string? baseline = null)
    {
        int? fiscal = null, baseYear = null;
        foreach (var (name, text) in new[] { ("year", year), ("baseline", baseline) })
        {
            if (text is null) continue;
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var y) || y is < 1000 or > 3000)
                return (null, TypedResults.Problem(type: Problems.BadRequest, title: "Unreadable " + name, statusCode: 400,
                    detail: $"{name}={text}: give a fiscal year as the city's calendar labels it (e.g. 1403 in the Solar Hijri calendar)."));
            if (name == "year") fiscal = y; else baseYear = y;
        }
        var definition = code is null ? null : IndicatorEngine.Find(code);
        if (code is not null && definition is null)
            return (null, TypedResults.Problem(type: Problems.Prefix + "indicator-not-found", title: "Indicator not found", statusCode: 404,
                detail: $"There is no indicator '{code}'. GET /api/indicators lists them."));
        if (string.IsNullOrWhiteSpace(city))
            return (null, TypedResults.Problem(type: Problems.BadRequest, title: "City missing", statusCode: 400, detail: "Name the city: ?city={slug}."));
        if (!RegistrationApi.TryParseAt(at, out var asOf))
            return (null, TypedResults.Problem(type: Problems.BadRequest, title: "Unreadable at", statusCode: 400,
                detail: $"at={at}: give an RFC 3339 timestamp (2026-03-20T10:00:00Z) or a date (the end of that day)."));
        if (asOf is not null && definition is not null && !IndicatorEngine.SupportsAt(definition.Code))
            return (null, TypedResults.Problem(type: Problems.BadRequest, title: "No history for this indicator", statusCode: 400,
                detail: $"{definition.Code} reads {string.Join(", ", definition.Layers)}, which keep no history, so it cannot be computed as of {at}. " +
                        $"?at= works for {string.Join(", ", IndicatorEngine.Catalogue.Where(x => IndicatorEngine.SupportsAt(x.Code)).Select(x => x.Code))}; " +
                        "for earlier years of the others use /series, which reads the built-up epochs and population years."));
        var c = await IndicatorEngine.FindCityAsync(db, city, ct);
        if (c is null) return (null, Problems.CityMissing(city));
        if (district is not null && !c.Districts.Contains(district))
            return (null, TypedResults.Problem(type: Problems.NotFound, title: "District not found", statusCode: 404, detail: $"{city} has no district '{district}'."));
        return (new Scope(definition!, c, district, new IndicatorQuery(asOf, fiscal, baseYear)), null);
    }

    internal static async Task<IResult> Compute(string code, string? city, string? district, string? at, string? year, string? baseline, string? format,
        NpgsqlDataSource db, CancellationToken ct)
    {
        var (scope, problem) = await ResolveAsync(code, city, district, at, db, ct, year, baseline);
        if (scope is null) return problem!;
        if (BadFormat(format) is { } bad) return bad;
        var result = await IndicatorEngine.ComputeAsync(db, scope.Definition, scope.City, scope.District, ct, scope.Query);
        return format == "csv" ? Csv([result], $"{code}-{city}{(district is null ? "" : "-" + district)}.csv") : Results.Json(result);
    }

    internal static async Task<IResult> Explain(string code, string? city, string? district, string? at, string? year, string? baseline,
        NpgsqlDataSource db, CancellationToken ct)
    {
        var (scope, problem) = await ResolveAsync(code, city, district, at, db, ct, year, baseline);
        if (scope is null) return problem!;
        return Results.Json(await IndicatorEngine.ExplainAsync(db, scope.Definition, scope.City, scope.District, ct, scope.Query));
    }

    internal static async Task<IResult> Series(string code, string? city, string? district, NpgsqlDataSource db, CancellationToken ct)
    {
        var (scope, problem) = await ResolveAsync(code, city, district, null, db, ct);
        if (scope is null) return problem!;
        var points = await IndicatorEngine.SeriesAsync(db, scope.Definition, scope.City, scope.District, ct);
        return Results.Json(new { code, city, district, unit = scope.Definition.Unit, methodVersion = scope.Definition.MethodVersion, points });
    }

    // Stored results are a plain read: a standby serves them to anonymous and read-only users. Computing on demand
    // stays on the primary: 11.2.1 along the streets builds the city's street graph on first use (a write).
    internal static async Task<IResult> Stored(string? city, string? district, string? format, ReadDatabase reads, HttpContext http, CancellationToken ct)
    {
        var db = reads.For(http);
        var (scope, problem) = await ResolveAsync(null, city, district, null, db, ct);
        if (scope is null) return problem!;
        if (BadFormat(format) is { } bad) return bad;
        await using var cmd = db.CreateCommand("""
            SELECT district_code, code, value, unit, reason, method, method_version, inputs::text, provenance::text, computed_at
            FROM indicator_results WHERE city_id = $1 AND ($2::text IS NULL OR district_code = $2)
            ORDER BY code, district_code
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = scope.City.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)district ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var results = new List<IndicatorResult>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                var code = r.GetString(1);
                results.Add(new IndicatorResult(code, IndicatorEngine.Find(code)?.Name ?? code, scope.City.Slug, r.GetString(0) is "" ? null : r.GetString(0),
                    r.IsDBNull(2) ? null : r.GetDouble(2), r.GetString(3), r.GetString(5), r.GetString(6),
                    JsonSerializer.Deserialize<Dictionary<string, object?>>(r.GetString(7))!, r.IsDBNull(4) ? null : r.GetString(4),
                    JsonSerializer.Deserialize<Provenance>(r.GetString(8), JsonSerializerOptions.Web)!));
            }
        return format == "csv" ? Csv(results, $"indicators-{city}.csv") : Results.Json(new { city, results });
    }

    private static IResult? BadFormat(string? format) => format is null or "json" or "csv" ? null
        : TypedResults.Problem(type: Problems.BadRequest, title: "Unknown format", statusCode: 400, detail: $"format={format}: use json or csv.");

    /// <summary>RFC 4180 CSV, one row per result; inputs and layers as JSON text in their own columns.</summary>
    private static IResult Csv(IEnumerable<IndicatorResult> results, string fileName)
    {
        var sb = new StringBuilder("code,name,city,district,value,unit,reason,method_version,computed_at,layers,inputs\r\n");
        foreach (var r in results)
            sb.Append(string.Join(',', [
                Field(r.Code), Field(r.Name), Field(r.City), Field(r.District ?? ""),
                r.Value?.ToString("R", CultureInfo.InvariantCulture) ?? "", Field(r.Unit), Field(r.Reason ?? ""), Field(r.MethodVersion),
                r.ComputedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                Field(string.Join(';', r.Provenance.Layers.Select(l => $"{l.Layer}@{l.Version}"))),
                Field(JsonSerializer.Serialize(r.Inputs))])).Append("\r\n");
        return Results.File(Encoding.UTF8.GetBytes(sb.ToString()), "text/csv; charset=utf-8", fileName);
    }

    private static string Field(string s) =>
        s.IndexOfAny([',', '"', '\r', '\n']) < 0 ? s : "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
