using Npgsql;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Domain.Indicators;

namespace UrbanMonitor.Api.Indicators;

/// <summary>An indicator the service computes: what it means and how.</summary>
public sealed record IndicatorDefinition(string Code, string Name, string Definition, string Formula, string Unit, string Method);

/// <summary>One computed indicator with its inputs (provenance); <c>Value</c> is null with a <c>Reason</c> when it
/// cannot be computed.</summary>
public sealed record IndicatorResult(string Code, string Name, string City, string? District, double? Value, string Unit,
    string Method, IReadOnlyDictionary<string, object?> Inputs, string? Reason, DateTimeOffset ComputedAt);

/// <summary>
/// Urban Monitoring Framework / SDG 11 indicators computed by PostGIS from the city's layers:
/// <c>GET /api/indicators</c> and <c>GET /api/indicators/{code}?city={slug}&amp;district={code}</c>.
/// </summary>
public static class IndicatorsApi
{
    private static readonly string CitySql = Sql.Load("Indicators/city.sql");
    private static readonly string SlumSql = Sql.Load("Indicators/slum.sql");
    private static readonly string TransitSql = Sql.Load("Indicators/transit.sql");
    private static readonly string OpenSpaceSql = Sql.Load("Indicators/openspace.sql");
    private static readonly string LandSql = Sql.Load("Indicators/landconsumption.sql");
    private static readonly string CoverageSql = Sql.Load("Indicators/coverage.sql");

    public static IReadOnlyList<IndicatorDefinition> Catalogue { get; } =
    [
        new("11.1.1", "Population living in informal settlements",
            "Share of the urban population living in informal settlements (slums).",
            "settlement population / urban population × 100", "%",
            "Settlement census population over the sum of the districts' populations; for one district, settlement population apportioned by area."),
        new("11.2.1", "Convenient access to public transport",
            "Share of the population within 500 m of a low-capacity stop or 1 km of a high-capacity stop.",
            "population within reach / population × 100", "%",
            "Straight-line buffers (no street network routing yet) in the city's UTM zone; stops whose GTFS timetable gives no peak-hour departure are left out; population from population units, else districts, spread evenly over each unit."),
        new("11.3.1", "Ratio of land consumption rate to population growth rate",
            "How fast built-up land grows compared with population, between the first and last built-up epochs.",
            "LCRPGR = [ln(Urb_t+n / Urb_t) / y] / [ln(Pop_t+n / Pop_t) / y]", "ratio",
            "Built-up areas on the spheroid from the built-up layer's first and last epochs; city population of those years."),
        new("11.7.1", "Open public space",
            "Share of the built-up area that is open public space, and share of the population within 400 m of one.",
            "open public space in the built-up area / built-up area × 100", "%",
            "Latest built-up epoch (or the districts when none), public open spaces, straight-line 400 m buffers in the city's UTM zone."),
        new("registration-coverage", "Registration coverage",
            "Share of active properties whose registration is complete.",
            "registered / (surveyed + verified + registered) × 100", "%",
            "Current status of each non-retired property."),
    ];

    public static IEndpointRouteBuilder MapIndicatorsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/indicators").WithTags("Indicators");
        api.MapGet("/", () => Results.Json(new { indicators = Catalogue })).WithName("ListIndicators")
            .WithSummary("The indicators: definition, formula, unit and method");
        api.MapGet("/{code}", Compute).WithName("ComputeIndicator")
            .WithSummary("Compute one indicator for a city (and optionally one district): value, unit, method, inputs")
            .Produces<IndicatorResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    internal static async Task<IResult> Compute(string code, string? city, string? district, string? at, NpgsqlDataSource db, CancellationToken ct)
    {
        var definition = Catalogue.FirstOrDefault(d => d.Code == code);
        if (definition is null)
            return TypedResults.Problem(type: Problems.Prefix + "indicator-not-found", title: "Indicator not found", statusCode: 404,
                detail: $"There is no indicator '{code}'. GET /api/indicators lists them.");
        if (string.IsNullOrWhiteSpace(city))
            return TypedResults.Problem(type: Problems.BadRequest, title: "City missing", statusCode: 400, detail: "Name the city: ?city={slug}.");
        if (at is not null)
            return TypedResults.Problem(type: Problems.BadRequest, title: "at= not supported yet", statusCode: 400,
                detail: "Indicators are computed on current data only; ?at= arrives with the registry history.");

        int cityId;
        int utm;
        await using (var cmd = db.CreateCommand(CitySql))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = city });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)district ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) return Problems.CityMissing(city);
            if (district is not null && r.IsDBNull(1))
                return TypedResults.Problem(type: Problems.NotFound, title: "District not found", statusCode: 404,
                    detail: $"{city} has no district '{district}'.");
            cityId = r.GetInt32(0);
            utm = r.IsDBNull(2) ? 4326 : r.GetInt32(2);
        }
        if (utm == 4326 && code is "11.2.1" or "11.7.1")
            return Results.Json(Result(definition, city, district, null, new Dictionary<string, object?>(), "The city has no districts, so its extent and UTM zone are unknown."));

        return code switch
        {
            "11.1.1" => await Row(db, SlumSql, cityId, district, utm, ct, r =>
            {
                var inputs = Inputs(r);
                var num = r["settlement_population"] as double?;
                var den = r["urban_population"] as double?;
                return Result(definition, city, district, num is > 0 && den is > 0 ? Math.Round(100 * num.Value / den.Value, 2) : null, inputs,
                    den is null or 0 ? "No urban population: the districts carry none." : num is null ? "No settlement population is recorded." : null);
            }),
            "11.2.1" => await Row(db, TransitSql, cityId, district, utm, ct, r =>
            {
                var inputs = Inputs(r);
                var reached = r["with_access"] as double?;
                var people = r["population"] as double?;
                return Result(definition, city, district, reached is not null && people is > 0 ? Math.Round(100 * reached.Value / people.Value, 2) : null, inputs,
                    people is null or 0 ? "No population: load population units or district populations." : null);
            }),
            "11.7.1" => await Row(db, OpenSpaceSql, cityId, district, utm, ct, r =>
            {
                var inputs = Inputs(r);
                var area = r["area_m2"] as double?;
                var open = r["open_space_m2"] as double?;
                var near = r["near_population"] as double?;
                var people = r["population"] as double?;
                inputs["populationWithin400mShare"] = near is not null && people is > 0 ? Math.Round(100 * near.Value / people.Value, 2) : null;
                inputs["builtUpSource"] = r["epoch"] is null ? "districts (no built-up layer)" : $"built-up epoch {r["epoch"]}";
                return Result(definition, city, district, area is > 0 && open is not null ? Math.Round(100 * open.Value / area.Value, 2) : null, inputs,
                    area is null or 0 ? "No built-up area or districts to measure against." : null);
            }),
            "11.3.1" => await Row(db, LandSql, cityId, district, utm, ct, r =>
            {
                var inputs = Inputs(r);
                if (r["first"] is null) return Result(definition, city, district, null, inputs, "No built-up layer: import built-up extents for two epochs.");
                if (Equals(r["first"], r["last"])) return Result(definition, city, district, null, inputs, $"Only one built-up epoch ({r["first"]}): two are needed.");
                if (r["first_population"] is null || r["last_population"] is null)
                    return Result(definition, city, district, null, inputs,
                        $"The city's population is not known for {r["first"]} and {r["last"]} (known: {r["population_years"] ?? "none"}).");
                var lc = LandConsumption.Compute((double)r["first_m2"]!, (double)r["last_m2"]!, (double)r["first_population"]!, (double)r["last_population"]!,
                    (int)r["last"]! - (int)r["first"]!);
                inputs["landConsumptionRate"] = lc.LandConsumptionRate;
                inputs["populationGrowthRate"] = lc.PopulationGrowthRate;
                inputs["builtUpPerPersonStartM2"] = Math.Round(lc.BuiltUpPerPersonStartM2, 2);
                inputs["builtUpPerPersonEndM2"] = Math.Round(lc.BuiltUpPerPersonEndM2, 2);
                if (district is not null) inputs["note"] = "Population is the city's: district populations by year are not recorded.";
                return Result(definition, city, district, lc.Value is { } v ? Math.Round(v, 4) : null, inputs, lc.Reason);
            }),
            _ => await Row(db, CoverageSql, cityId, district, utm, ct, r =>
            {
                var inputs = Inputs(r);
                var active = Convert.ToDouble(r["active"], System.Globalization.CultureInfo.InvariantCulture);
                var registered = Convert.ToDouble(r["registered"], System.Globalization.CultureInfo.InvariantCulture);
                return Result(definition, city, district, active > 0 ? Math.Round(100 * registered / active, 2) : null, inputs,
                    active > 0 ? null : "No active properties.");
            }),
        };
    }

    private static async Task<IResult> Row(NpgsqlDataSource db, string sql, int cityId, string? district, int utm, CancellationToken ct,
        Func<IReadOnlyDictionary<string, object?>, IndicatorResult> make)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.CommandTimeout = 120;
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)district ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        if (sql.Contains("$3", StringComparison.Ordinal)) cmd.Parameters.Add(new NpgsqlParameter { Value = utm });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var row = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
        return Results.Json(make(row));
    }

    // Inputs as reported: every column of the query in camelCase, doubles rounded.
    private static Dictionary<string, object?> Inputs(IReadOnlyDictionary<string, object?> row) =>
        row.ToDictionary(kv => Camel(kv.Key), kv => kv.Value is double d ? Math.Round(d, 2) : kv.Value, StringComparer.Ordinal);

    private static string Camel(string snake)
    {
        var parts = snake.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }

    private static IndicatorResult Result(IndicatorDefinition d, string city, string? district, double? value, IReadOnlyDictionary<string, object?> inputs, string? reason) =>
        new(d.Code, d.Name, city, district, value, d.Unit, d.Method, inputs, value is null ? reason ?? "Not computable from the data present." : null, DateTimeOffset.UtcNow);
}
