using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Domain.Indicators;

namespace UrbanMonitor.Database.Indicators;

/// <summary>An indicator the service computes: what it means, how, which layers it reads.</summary>
/// <param name="Layers">Layer ids the value depends on; a write to one of them makes the stored result stale.</param>
public sealed record IndicatorDefinition(string Code, string Name, string Definition, string Formula, string Unit, string Method,
    string MethodVersion, IReadOnlyList<string> Layers);

/// <summary>A layer an indicator read, with its data version (bumped by every write) and source.</summary>
public sealed record LayerInput(string Layer, long? Version, string? Source);

/// <summary>Where a number came from: the layers read, the method version, its parameters and when.</summary>
public sealed record Provenance(IReadOnlyList<LayerInput> Layers, string MethodVersion, IReadOnlyDictionary<string, object?> Parameters,
    DateTimeOffset ComputedAt);

/// <summary>One computed indicator with its inputs; <c>Value</c> is null with a <c>Reason</c> when it cannot be computed.</summary>
public sealed record IndicatorResult(string Code, string Name, string City, string? District, double? Value, string Unit,
    string Method, string MethodVersion, IReadOnlyDictionary<string, object?> Inputs, string? Reason, Provenance Provenance)
{
    public DateTimeOffset ComputedAt => Provenance.ComputedAt;
}

/// <summary>One feature's contribution to a term of an indicator (e.g. a settlement's population).</summary>
public sealed record Contribution(string Source, long Id, string Code, string? Name, double Value, IReadOnlyDictionary<string, object?>? Details = null);

/// <summary>A term of the formula (numerator or denominator): its total and the features whose values add up to it.</summary>
public sealed record ExplainTerm(string Name, double Total, IReadOnlyList<Contribution> Features);

/// <summary>The explain view: the result and the contributing features of each term.</summary>
public sealed record Explanation(IndicatorResult Result, IReadOnlyList<ExplainTerm> Terms, string? Note);

/// <summary>A city as the engine needs it: id, UTM zone (EPSG code; 4326 when it has no districts), district codes.</summary>
public sealed record IndicatorCity(int Id, string Slug, int Utm, IReadOnlyList<string> Districts);

/// <summary>One point of a time series: the year (or the later epoch of a pair) and its value or reason.</summary>
public sealed record SeriesPoint(int Year, int? FromYear, double? Value, string? Reason, IReadOnlyDictionary<string, object?> Inputs);

/// <summary>
/// Urban Monitoring Framework / SDG 11 indicators computed by PostGIS from a city's layers. Values in percent are
/// rounded to two decimals; areas are measured on the spheroid or in the city's UTM zone, never in degrees.
/// </summary>
public static class IndicatorEngine
{
    /// <summary>Low- and high-capacity stop reach (metres) for 11.2.1 and the open-space reach for 11.7.1.</summary>
    public const double LowCapacityReachM = 500, HighCapacityReachM = 1000, OpenSpaceReachM = 400;

    private static readonly string CitySql = Embedded("city.sql");
    private static readonly string SlumSql = Embedded("slum.sql");
    private static readonly string SlumCountsSql = Embedded("slum_counts.sql");
    private static readonly string TransitSql = Embedded("transit.sql");
    private static readonly string TransitStopsSql = Embedded("transit_stops.sql");
    private static readonly string OpenSpaceSql = Embedded("openspace.sql");
    private static readonly string LandSql = Embedded("landconsumption.sql");
    private static readonly string TenureSql = Embedded("tenure.sql");
    private static readonly string DensitySql = Embedded("density.sql");
    private static readonly string SeriesSql = Embedded("series.sql");

    private const string StraightLine = "straight-line buffers";

    public static IReadOnlyList<IndicatorDefinition> Catalogue { get; } =
    [
        new("11.1.1", "Population living in informal settlements",
            "Share of the urban population living in informal settlements (slums).",
            "settlement population / urban population × 100", "%",
            "Settlement census population over the sum of the districts' populations; for one district, settlement population apportioned by area.",
            "11.1.1/2", ["settlements", "districts"]),
        new("11.2.1", "Convenient access to public transport",
            "Share of the population within 500 m of a low-capacity stop or 1 km of a high-capacity stop.",
            "Σ unit population × share of the unit within reach / Σ unit population × 100", "%",
            "Straight-line buffers (500 m low capacity, 1 km high capacity) in the city's UTM zone; no street-network routing; stops whose GTFS timetable gives no peak-hour departure are left out; population from population units, else districts, spread evenly over each unit.",
            "11.2.1/2", ["transit-stops", "population-units", "districts"]),
        new("11.3.1", "Ratio of land consumption rate to population growth rate",
            "How fast built-up land grows compared with population, between the first and last built-up epochs.",
            "LCRPGR = [ln(Urb_t+n / Urb_t) / y] / [ln(Pop_t+n / Pop_t) / y]", "ratio",
            "Built-up areas on the spheroid from the built-up layer's first and last epochs; city population of those years.",
            "11.3.1/1", ["built-up", "districts"]),
        new("11.7.1", "Open public space",
            "Share of the built-up area that is open public space, and share of the population within 400 m of one.",
            "open public space in the built-up area / built-up area × 100", "%",
            "Latest built-up epoch (or the districts when none), public open spaces, straight-line 400 m buffers in the city's UTM zone.",
            "11.7.1/1", ["open-spaces", "built-up", "population-units", "districts"]),
        new("registration-coverage", "Registration coverage",
            "Share of active properties whose registration is complete.",
            "registered / (surveyed + verified + registered) × 100", "%",
            "Current status of each non-retired property.", "registration-coverage/1", ["properties"]),
        new("tenure-security", "Tenure security",
            "Share of active properties with a current documented right (ownership, occupancy certificate or lease).",
            "properties with a documented right / active properties × 100", "%",
            "Current rights of each non-retired property; customary and informal occupancy are not documented rights. Occupancy certificates are counted in the inputs.",
            "tenure-security/1", ["properties", "rights"]),
        new("population-density", "Population density",
            "Residents per square kilometre of the districts' area.",
            "district population / district area (km²)", "persons/km²",
            "Districts' recorded population over their area on the spheroid.", "population-density/1", ["districts"]),
        new("built-up-density", "Built-up density",
            "Residents per square kilometre of built-up land (latest epoch).",
            "district population / built-up area in the districts (km²)", "persons/km²",
            "Districts' recorded population over the latest built-up epoch's area inside them, on the spheroid.",
            "built-up-density/1", ["built-up", "districts"]),
    ];

    /// <summary>Indicators whose city value is the sum of its districts' counts, so the city row is refreshed from the
    /// stored district rows instead of reading every property again.</summary>
    public static bool IsAdditive(string code) => code is "registration-coverage" or "tenure-security";

    public static IndicatorDefinition? Find(string code) => Catalogue.FirstOrDefault(d => d.Code == code);

    /// <summary>The city by slug, or null when there is none.</summary>
    public static async Task<IndicatorCity?> FindCityAsync(NpgsqlDataSource db, string slug, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(CitySql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = slug });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new IndicatorCity(r.GetInt32(0), slug, r.IsDBNull(1) ? 4326 : r.GetInt32(1), r.GetFieldValue<string[]>(2));
    }

    /// <summary>Computes one indicator for the city, or one district of it when <paramref name="district"/> is set.</summary>
    public static async Task<IndicatorResult> ComputeAsync(NpgsqlDataSource db, IndicatorDefinition d, IndicatorCity city, string? district, CancellationToken ct) =>
        (await ExplainAsync(db, d, city, district, ct)).Result;

    /// <summary>Computes one indicator with the features behind it.</summary>
    public static async Task<Explanation> ExplainAsync(NpgsqlDataSource db, IndicatorDefinition d, IndicatorCity city, string? district, CancellationToken ct)
    {
        var layers = await LayersAsync(db, city.Id, d.Layers, ct);
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        IndicatorResult Make(double? value, Dictionary<string, object?> inputs, string? reason, string? method = null) =>
            new(d.Code, d.Name, city.Slug, district, value, d.Unit, method ?? d.Method, d.MethodVersion, inputs,
                value is null ? reason ?? "Not computable from the data present." : null,
                new Provenance(layers, d.MethodVersion, parameters, DateTimeOffset.UtcNow));

        if (city.Utm == 4326 && d.Code is "11.2.1" or "11.7.1")
            return new(Make(null, [], "The city has no districts, so its extent and UTM zone are unknown."), [], null);

        switch (d.Code)
        {
            case "11.1.1":
            {
                parameters["apportionment"] = district is null ? "none (whole city)" : "settlement population × share of its area in the district";
                var rows = await RowsAsync(db, SlumSql, city, district, ct);
                var inputs = Inputs((await RowsAsync(db, SlumCountsSql, city, district, ct))[0]);
                var terms = Terms(rows, "settlementPopulation", "urbanPopulation", r => new Contribution(
                    (string)r["term"]! == "settlementPopulation" ? "settlements" : "districts", (long)r["id"]!, (string)r["code"]!, r["name"] as string, (double)r["value"]!));
                double num = terms[0].Total, den = terms[1].Total;
                inputs["settlementPopulation"] = Math.Round(num, 2);
                inputs["urbanPopulation"] = Math.Round(den, 2);
                var value = den > 0 && terms[0].Features.Count > 0 ? Math.Round(100 * num / den, 2) : (double?)null;
                return new(Make(value, inputs, den <= 0 ? "No urban population: the districts carry none." : "No settlement population is recorded."),
                    terms, "value = 100 × settlementPopulation / urbanPopulation");
            }
            case "11.2.1":
            {
                parameters["lowCapacityReachM"] = LowCapacityReachM;
                parameters["highCapacityReachM"] = HighCapacityReachM;
                parameters["peakHourFilter"] = "stops with peak_departures = 0 left out; stops without a timetable kept";
                parameters["routing"] = StraightLine;
                var rows = await RowsAsync(db, TransitSql, city, district, ct);
                var inputs = Inputs((await RowsAsync(db, TransitStopsSql, city, district, ct))[0]);
                var units = rows.Select(r => new { Row = r, Pop = (double)r["population"]! }).ToList();
                var reached = new ExplainTerm("populationWithAccess", rows.Sum(r => (double)r["with_access"]!), rows.Select(r => new Contribution(
                    (string)r["source"]!, (long)r["id"]!, (string)r["code"]!, null, Math.Round((double)r["with_access"]!, 4),
                    new Dictionary<string, object?> { ["population"] = r["population"], ["reachedShare"] = Math.Round((double)r["reached_share"]!, 6), ["stopsReaching"] = r["stops_reaching"] })).ToList());
                var population = new ExplainTerm("population", units.Sum(u => u.Pop), rows.Select(r => new Contribution(
                    (string)r["source"]!, (long)r["id"]!, (string)r["code"]!, null, (double)r["population"]!)).ToList());
                inputs["withAccess"] = Math.Round(reached.Total, 2);
                inputs["population"] = Math.Round(population.Total, 2);
                inputs["units"] = rows.Count;
                inputs["populationSource"] = rows.Count == 0 ? null : rows[0]["source"];
                var streets = Convert.ToInt64(inputs["streetSegments"], CultureInfo.InvariantCulture);
                var method = d.Method + (streets > 0 ? $" The city has a streets layer ({streets} segments) but network routing is not implemented: straight line used." : "");
                var value = population.Total > 0 ? Math.Round(100 * reached.Total / population.Total, 2) : (double?)null;
                return new(Make(value, inputs, "No population: load population units or district populations.", method),
                    [reached, population], "value = 100 × populationWithAccess / population; each unit's populationWithAccess = population × reachedShare.");
            }
            case "11.7.1":
            {
                parameters["openSpaceReachM"] = OpenSpaceReachM;
                parameters["publicAccessOnly"] = true;
                var r = (await RowsAsync(db, OpenSpaceSql, city, district, ct))[0];
                var inputs = Inputs(r);
                var area = r["area_m2"] as double?;
                var open = r["open_space_m2"] as double?;
                var near = r["near_population"] as double?;
                var people = r["population"] as double?;
                inputs["populationWithin400mShare"] = near is not null && people is > 0 ? Math.Round(100 * near.Value / people.Value, 2) : null;
                inputs["builtUpSource"] = r["epoch"] is null ? "districts (no built-up layer)" : $"built-up epoch {r["epoch"]}";
                return new(Make(area is > 0 && open is not null ? Math.Round(100 * open.Value / area.Value, 2) : null, inputs,
                    "No built-up area or districts to measure against."), [], "value = 100 × openSpaceM2 / areaM2");
            }
            case "11.3.1":
            {
                var r = (await RowsAsync(db, LandSql, city, district, ct))[0];
                var inputs = Inputs(r);
                if (district is not null) inputs["note"] = "Population is the city's: district populations by year are not recorded.";
                var (value, reason) = Lcrpgr(r["first"] as int?, r["last"] as int?, r["first_m2"] as double?, r["last_m2"] as double?,
                    r["first_population"] as double?, r["last_population"] as double?, r["population_years"] as string, inputs);
                return new(Make(value, inputs, reason), [], null);
            }
            case "population-density":
            case "built-up-density":
            {
                var r = (await RowsAsync(db, DensitySql, city, district, ct))[0];
                var inputs = Inputs(r);
                var people = r["population"] as double?;
                var km2 = (d.Code == "population-density" ? r["area_km2"] : r["built_up_km2"]) as double?;
                string? reason = people is null or 0 ? "No population: the districts carry none."
                    : km2 is null or 0 ? (d.Code == "population-density" ? "No district area." : "No built-up layer: import built-up extents.") : null;
                return new(Make(reason is null ? Math.Round(people!.Value / km2!.Value, 2) : null, inputs, reason), [], null);
            }
            default:
            {
                var rows = district is null && IsAdditive(d.Code)
                    ? await Task.WhenAll(city.Districts.Select(async c => (Code: c, Row: (await RowsAsync(db, TenureSql, city, c, ct))[0])))
                    : [(Code: district ?? "", Row: (await RowsAsync(db, TenureSql, city, district, ct))[0])];
                double Sum(string col) => rows.Sum(x => Convert.ToDouble(x.Row[col], CultureInfo.InvariantCulture));
                var inputs = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var col in new[] { "active", "registered", "verified", "surveyed", "documented", "occupancy_certificates" })
                    inputs[Camel(col)] = (long)Sum(col);
                var numerator = d.Code == "registration-coverage" ? "registered" : "documented";
                var active = Sum("active");
                var terms = new List<ExplainTerm>
                {
                    new(numerator, Sum(numerator), rows.Select(x => new Contribution("districts", 0, x.Code, null, Convert.ToDouble(x.Row[numerator], CultureInfo.InvariantCulture))).ToList()),
                    new("active", active, rows.Select(x => new Contribution("districts", 0, x.Code, null, Convert.ToDouble(x.Row["active"], CultureInfo.InvariantCulture))).ToList()),
                };
                return new(Make(active > 0 ? Math.Round(100 * Sum(numerator) / active, 2) : null, inputs, "No active properties."), terms,
                    $"value = 100 × {numerator} / active");
            }
        }
    }

    /// <summary>A time series over the epochs and years available: for 11.3.1 each pair of consecutive built-up epochs
    /// with population; for built-up density and 11.7.1's built-up base each epoch; for the others the current value
    /// alone (their layers keep no history).</summary>
    public static async Task<IReadOnlyList<SeriesPoint>> SeriesAsync(NpgsqlDataSource db, IndicatorDefinition d, IndicatorCity city, string? district, CancellationToken ct)
    {
        if (d.Code is "11.3.1" or "built-up-density")
        {
            var epochs = await RowsAsync(db, SeriesSql, city, district, ct);
            var points = new List<SeriesPoint>();
            if (d.Code == "built-up-density")
            {
                foreach (var e in epochs)
                {
                    var pop = e["population"] as double?;
                    var km2 = (double)e["m2"]! / 1e6;
                    points.Add(new((int)e["epoch"]!, null, pop is > 0 && km2 > 0 ? Math.Round(pop.Value / km2, 2) : null,
                        pop is null ? $"The city's population is not known for {e["epoch"]}." : km2 <= 0 ? "No built-up area." : null,
                        new Dictionary<string, object?> { ["builtUpKm2"] = Math.Round(km2, 4), ["population"] = pop, ["populationScope"] = "city" }));
                }
                return points;
            }
            if (epochs.Count < 2)
                return [new(epochs.Count == 1 ? (int)epochs[0]["epoch"]! : 0, null, null,
                    epochs.Count == 1 ? $"Only one built-up epoch ({epochs[0]["epoch"]}): two are needed." : "No built-up layer: import built-up extents for two epochs.", new Dictionary<string, object?>())];
            for (var i = 1; i < epochs.Count; i++)
            {
                var inputs = new Dictionary<string, object?>(StringComparer.Ordinal);
                var (value, reason) = Lcrpgr((int)epochs[i - 1]["epoch"]!, (int)epochs[i]["epoch"]!, epochs[i - 1]["m2"] as double?, epochs[i]["m2"] as double?,
                    epochs[i - 1]["population"] as double?, epochs[i]["population"] as double?, null, inputs);
                inputs["firstM2"] = Math.Round((double)epochs[i - 1]["m2"]!, 2);
                inputs["lastM2"] = Math.Round((double)epochs[i]["m2"]!, 2);
                points.Add(new((int)epochs[i]["epoch"]!, (int)epochs[i - 1]["epoch"]!, value, reason, inputs));
            }
            return points;
        }
        var now = await ComputeAsync(db, d, city, district, ct);
        return [new(now.ComputedAt.Year, null, now.Value, now.Reason, now.Inputs)];
    }

    private static (double? Value, string? Reason) Lcrpgr(int? first, int? last, double? firstM2, double? lastM2, double? firstPop, double? lastPop,
        string? knownYears, Dictionary<string, object?> inputs)
    {
        if (first is null) return (null, "No built-up layer: import built-up extents for two epochs.");
        if (first == last) return (null, $"Only one built-up epoch ({first}): two are needed.");
        if (firstPop is null || lastPop is null)
            return (null, $"The city's population is not known for {first} and {last}" + (knownYears is null ? "." : $" (known: {knownYears})."));
        var lc = LandConsumption.Compute(firstM2 ?? 0, lastM2 ?? 0, firstPop.Value, lastPop.Value, last!.Value - first.Value);
        inputs["landConsumptionRate"] = lc.LandConsumptionRate;
        inputs["populationGrowthRate"] = lc.PopulationGrowthRate;
        inputs["builtUpPerPersonStartM2"] = double.IsNaN(lc.BuiltUpPerPersonStartM2) ? null : Math.Round(lc.BuiltUpPerPersonStartM2, 2);
        inputs["builtUpPerPersonEndM2"] = double.IsNaN(lc.BuiltUpPerPersonEndM2) ? null : Math.Round(lc.BuiltUpPerPersonEndM2, 2);
        return (lc.Value is { } v ? Math.Round(v, 4) : null, lc.Reason);
    }

    private static List<ExplainTerm> Terms(List<Dictionary<string, object?>> rows, string first, string second, Func<Dictionary<string, object?>, Contribution> make) =>
        [.. new[] { first, second }.Select(t =>
        {
            var features = rows.Where(r => (string)r["term"]! == t).Select(make).ToList();
            return new ExplainTerm(t, features.Sum(f => f.Value), features);
        })];

    /// <summary>The layers an indicator reads, with their data versions and sources.</summary>
    public static Task<IReadOnlyList<LayerInput>> ComputeProvenanceAsync(NpgsqlDataSource db, IndicatorDefinition d, IndicatorCity city, CancellationToken ct) =>
        LayersAsync(db, city.Id, d.Layers, ct);

    private static async Task<IReadOnlyList<LayerInput>> LayersAsync(NpgsqlDataSource db, int cityId, IReadOnlyList<string> layers, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT l.layer, v.version, s.source || ' (' || s.licence || ')'
            FROM unnest($2::text[]) WITH ORDINALITY AS l(layer, n)
            LEFT JOIN layer_versions v ON v.layer = l.layer
            LEFT JOIN layer_sources s ON s.city_id = $1 AND s.layer = l.layer
            ORDER BY l.n
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = layers.ToArray() });
        var list = new List<LayerInput>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(new(r.GetString(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetString(2)));
        return list;
    }

    private static async Task<List<Dictionary<string, object?>>> RowsAsync(NpgsqlDataSource db, string sql, IndicatorCity city, string? district, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.CommandTimeout = 300;
        cmd.Parameters.Add(new NpgsqlParameter { Value = city.Id });
        if (sql.Contains("$2", StringComparison.Ordinal))
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)district ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        if (sql.Contains("$3", StringComparison.Ordinal)) cmd.Parameters.Add(new NpgsqlParameter { Value = city.Utm });
        var rows = new List<Dictionary<string, object?>>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    // Inputs as reported: every column of the query in camelCase, doubles rounded.
    private static Dictionary<string, object?> Inputs(IReadOnlyDictionary<string, object?> row) =>
        row.ToDictionary(kv => Camel(kv.Key), kv => kv.Value is double d ? Math.Round(d, 2) : kv.Value, StringComparer.Ordinal);

    internal static string Camel(string snake)
    {
        var parts = snake.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }

    private static string Embedded(string name)
    {
        using var stream = typeof(IndicatorEngine).Assembly.GetManifestResourceStream("UrbanMonitor.Database.Indicators." + name)
            ?? throw new InvalidOperationException($"Embedded SQL {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
