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

/// <summary>What a computation is asked for beyond city and district: an as-of instant (null = now) and, for the
/// service-charge indicators, the fiscal year and the baseline year (null = the latest and the earliest with data).</summary>
public sealed record IndicatorQuery(DateTimeOffset? At = null, int? Year = null, int? Baseline = null);

/// <summary>A city as the engine needs it: id, UTM zone (EPSG code; 4326 when it has no districts), district codes.</summary>
public sealed record IndicatorCity(int Id, string Slug, int Utm, IReadOnlyList<string> Districts);

/// <summary>One point of a time series: the year (or the later epoch of a pair) and its value or reason.</summary>
public sealed record SeriesPoint(int Year, int? FromYear, double? Value, string? Reason, IReadOnlyDictionary<string, object?> Inputs);

/// <summary>Rows of SQL that several indicators of one full recompute read (the same statement, city and scopes), fetched
/// once and handed to each. Safe to share between indicators computed side by side.</summary>
public sealed class SharedRows
{
    private readonly Dictionary<string, Task<List<Dictionary<string, object?>>>> _rows = new(StringComparer.Ordinal);

    internal Task<List<Dictionary<string, object?>>> GetAsync(string sql, Func<Task<List<Dictionary<string, object?>>>> fetch)
    {
        lock (_rows)
        {
            if (!_rows.TryGetValue(sql, out var rows)) _rows[sql] = rows = fetch();
            return rows;
        }
    }
}

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
    private static readonly string[] TransitNetworkSteps = Embedded("transit_network.sql").Split("\n-- step\n");
    private static readonly string[] StreetGraphSteps = Embedded("street_graph.sql").Split("\n-- step\n");
    private static readonly string OpenSpaceSql = Embedded("openspace.sql");
    private static readonly string LandSql = Embedded("landconsumption.sql");
    private static readonly string TenureSql = Embedded("tenure.sql");
    private static readonly string DensitySql = Embedded("density.sql");
    private static readonly string SeriesSql = Embedded("series.sql");
    private static readonly string RevenueSql = Embedded("revenue.sql");

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
            "Straight-line buffers (500 m low capacity, 1 km high capacity) in the city's UTM zone; stops whose GTFS timetable gives no peak-hour departure are left out; population from population units, else districts, spread evenly over each unit.",
            "11.2.1/3", ["transit-stops", "population-units", "districts", "streets"]),
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
        new("service-charge-revenue", "Service-charge revenue",
            "Service charge collected in a fiscal year (?year=, else the latest fiscal year with assessments or payments).",
            "Σ payments booked to the fiscal year", "AFN",
            "Payments booked to the fiscal year by the city's fiscal calendar; payments of arrears count in the year paid; a property counts in its current district.",
            "service-charge-revenue/1", ["service-charges"]),
        new("service-charge-collection-rate", "Service-charge collection rate",
            "Service charge collected in a fiscal year as a share of the amount assessed for that year.",
            "collected / assessed amount × 100", "%",
            "Payments booked to the fiscal year over the assessments of that year; payments of arrears count in the year paid, so the rate can exceed 100.",
            "service-charge-collection-rate/1", ["service-charges"]),
        new("service-charge-change", "Service-charge revenue change against a baseline year",
            "Change in service-charge revenue between a baseline fiscal year (?baseline=, else the earliest with data) and a fiscal year (?year=, else the latest), with the change in properties paying.",
            "100 × (revenue_year − revenue_baseline) / revenue_baseline; payingChange = 100 × (paying_year − paying_baseline) / paying_baseline", "%",
            "Payments booked to each fiscal year; properties paying = distinct properties with a payment booked to the year.",
            "service-charge-change/1", ["service-charges"]),
    ];

    /// <summary>The service-charge indicators, computed from the assessments and payments per fiscal year.</summary>
    public static bool IsRevenue(string code) => code.StartsWith("service-charge-", StringComparison.Ordinal);

    /// <summary>Indicators whose city value is the sum of its districts' counts, so the city row is refreshed from the
    /// stored district rows instead of reading every property again.</summary>
    public static bool IsAdditive(string code) => code is "registration-coverage" or "tenure-security";

    public static IndicatorDefinition? Find(string code) => Catalogue.FirstOrDefault(d => d.Code == code);

    /// <summary>Indicators that can be computed as of an earlier instant (<c>?at=</c>): those whose changing inputs keep
    /// their history (property versions, rights' validity, settlement rounds, the service-charge ledger and payments). The
    /// other layers (stops, population units, built-up, open spaces, districts) are replaced by imports and keep none.</summary>
    public static bool SupportsAt(string code) => code is "11.1.1" or "registration-coverage" or "tenure-security" || IsRevenue(code);

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
    /// <param name="query">As of an instant (only where <see cref="SupportsAt"/>), fiscal and baseline years; null = now, defaults.</param>
    public static async Task<IndicatorResult> ComputeAsync(NpgsqlDataSource db, IndicatorDefinition d, IndicatorCity city, string? district, CancellationToken ct,
        IndicatorQuery? query = null) =>
        (await ExplainAsync(db, d, city, district, ct, query)).Result;

    /// <summary>Computes one indicator with the features behind it.</summary>
    public static async Task<Explanation> ExplainAsync(NpgsqlDataSource db, IndicatorDefinition d, IndicatorCity city, string? district, CancellationToken ct,
        IndicatorQuery? query = null) =>
        (await ExplainScopesAsync(db, d, city, district, false, null, ct, query))[district ?? ""];

    /// <summary>Computes one indicator for the city and every district of it at once (the full recompute): the same SQL
    /// and the same formulas as <see cref="ExplainAsync"/>, run once over all scopes instead of once per district.
    /// Keyed by district code, "" for the city. <paramref name="shared"/> keeps the rows of SQL that several indicators
    /// read (tenure and registration, the two densities, the three service-charge indicators), so each runs once.</summary>
    public static Task<IReadOnlyDictionary<string, Explanation>> ExplainEveryScopeAsync(NpgsqlDataSource db, IndicatorDefinition d, IndicatorCity city,
        SharedRows? shared, CancellationToken ct) =>
        ExplainScopesAsync(db, d, city, null, true, shared, ct, null);

    // The scopes of one computation: the city ("") or one district, or with every = true the city and all its districts.
    // Each SQL returns its rows tagged with their scope (column "scope"; tenure.sql one row per district, "district"),
    // and the same code turns a scope's rows into its result, whichever way they were fetched.
    private static async Task<IReadOnlyDictionary<string, Explanation>> ExplainScopesAsync(NpgsqlDataSource db, IndicatorDefinition d, IndicatorCity city,
        string? district, bool every, SharedRows? shared, CancellationToken ct, IndicatorQuery? query)
    {
        var at = query?.At;
        if (at is not null && !SupportsAt(d.Code))
            throw new ArgumentException($"{d.Code} cannot be computed as of an earlier instant: its layers keep no history.", nameof(at));
        var layers = await LayersAsync(db, city.Id, d.Layers, ct);
        IReadOnlyList<string> scopes = every ? ["", .. city.Districts] : [district ?? ""];
        var computedAt = DateTimeOffset.UtcNow;
        var common = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (at is not null)
        {
            common["at"] = at.Value.UtcDateTime;
            common["asOf"] = d.Code == "11.1.1"
                ? "settlements as recorded in settlement_rounds by then; districts' current population (districts keep no history)"
                : IsRevenue(d.Code)
                    ? "assessed amounts from the ledger's charges and adjustments entered by then, payments received by then; properties in their current district"
                    : "property versions valid then (property_versions) and the rights valid then";
        }
        Task<List<Dictionary<string, object?>>> Raw(string sql) =>
            shared is null ? RowsAsync(db, sql, city, district, every, ct, at) : shared.GetAsync(sql, () => RowsAsync(db, sql, city, district, every, ct, at));
        async Task<Dictionary<string, List<Dictionary<string, object?>>>> Rows(string sql) => ByScope(await Raw(sql), scopes);
        IReadOnlyDictionary<string, Explanation> Each(Func<string, Dictionary<string, object?>, Func<double?, Dictionary<string, object?>, string?, string?, IndicatorResult>, Explanation> one) =>
            scopes.ToDictionary(scope => scope, scope =>
            {
                var parameters = new Dictionary<string, object?>(common, StringComparer.Ordinal);
                IndicatorResult Make(double? value, Dictionary<string, object?> inputs, string? reason, string? method) =>
                    new(d.Code, d.Name, city.Slug, scope is "" ? null : scope, value, d.Unit, method ?? d.Method, d.MethodVersion, inputs,
                        value is null ? reason ?? "Not computable from the data present." : null,
                        new Provenance(layers, d.MethodVersion, parameters, computedAt));
                return one(scope, parameters, Make);
            }, StringComparer.Ordinal);

        if (IsRevenue(d.Code))
        {
            var years = await Rows(RevenueSql);
            return Each((scope, parameters, make) => Revenue(d, years[scope], query?.Year, query?.Baseline, parameters, make));
        }

        if (city.Utm == 4326 && d.Code is "11.2.1" or "11.7.1")
            return Each((_, _, make) => new(make(null, [], "The city has no districts, so its extent and UTM zone are unknown.", null), [], null));

        switch (d.Code)
        {
            case "11.1.1":
            {
                var features = await Rows(SlumSql);
                var counts = await Rows(SlumCountsSql);
                return Each((scope, parameters, make) =>
                {
                    parameters["apportionment"] = scope is "" ? "none (whole city)" : "settlement population × share of its area in the district";
                    var inputs = Inputs(counts[scope][0]);
                    var terms = Terms(features[scope], "settlementPopulation", "urbanPopulation", r => new Contribution(
                        (string)r["term"]! == "settlementPopulation" ? "settlements" : "districts", (long)r["id"]!, (string)r["code"]!, r["name"] as string, (double)r["value"]!));
                    double num = terms[0].Total, den = terms[1].Total;
                    inputs["settlementPopulation"] = Math.Round(num, 2);
                    inputs["urbanPopulation"] = Math.Round(den, 2);
                    var value = den > 0 && terms[0].Features.Count > 0 ? Math.Round(100 * num / den, 2) : (double?)null;
                    return new(make(value, inputs, den <= 0 ? "No urban population: the districts carry none." : "No settlement population is recorded.", null),
                        terms, "value = 100 × settlementPopulation / urbanPopulation");
                });
            }
            case "11.2.1":
            {
                var stops = Inputs((await Raw(TransitStopsSql))[0]);
                var streets = Convert.ToInt64(stops["streetSegments"], CultureInfo.InvariantCulture);
                var network = streets > 0 && stops["pgrouting"] is string;
                string? fallback = streets == 0 ? "the city has no streets layer"
                    : network ? null
                    : stops["pgroutingAvailable"] is true ? "pgRouting is available on this server but not installed in this database (CREATE EXTENSION pgrouting, as a superuser)"
                    : "this PostgreSQL server has no pgRouting (pg_available_extensions does not list it)";
                var units = network
                    ? ByScope(await NetworkRowsAsync(db, city, district, every, layers.FirstOrDefault(l => l.Layer == "streets")?.Version, ct), scopes)
                    : await Rows(TransitSql);
                return Each((scope, parameters, make) =>
                {
                    parameters["lowCapacityReachM"] = LowCapacityReachM;
                    parameters["highCapacityReachM"] = HighCapacityReachM;
                    parameters["peakHourFilter"] = "stops with peak_departures = 0 left out; stops without a timetable kept";
                    parameters["routing"] = network ? "street network (pgRouting pgr_drivingDistance)" : StraightLine;
                    var inputs = new Dictionary<string, object?>(stops, StringComparer.Ordinal) { ["routing"] = network ? "network" : "straight-line" };
                    if (fallback is not null) inputs["routingFallback"] = fallback;
                    var rows = units[scope];
                    var reached = new ExplainTerm("populationWithAccess", rows.Sum(r => (double)r["with_access"]!), rows.Select(r => new Contribution(
                        (string)r["source"]!, (long)r["id"]!, (string)r["code"]!, null, Math.Round((double)r["with_access"]!, 4),
                        network
                            ? new Dictionary<string, object?> { ["population"] = r["population"], ["reachedShare"] = r["reached_share"], ["walkM"] = r["walk_m"] }
                            : new Dictionary<string, object?> { ["population"] = r["population"], ["reachedShare"] = Math.Round((double)r["reached_share"]!, 6), ["stopsReaching"] = r["stops_reaching"] })).ToList());
                    var population = new ExplainTerm("population", rows.Sum(r => (double)r["population"]!), rows.Select(r => new Contribution(
                        (string)r["source"]!, (long)r["id"]!, (string)r["code"]!, null, (double)r["population"]!)).ToList());
                    inputs["withAccess"] = Math.Round(reached.Total, 2);
                    inputs["population"] = Math.Round(population.Total, 2);
                    inputs["units"] = rows.Count;
                    inputs["populationSource"] = rows.Count == 0 ? null : rows[0]["source"];
                    var method = network
                        ? $"Walking distance along the streets layer ({streets} segments, noded, undirected) with pgRouting {stops["pgrouting"]}: pgr_drivingDistance from every stop at once, 500 m from low-capacity and 1 km from high-capacity stops; stops and each population unit's point on surface join their nearest street node by a straight connector that counts towards the distance; a unit counts fully when its point is reached. Stops whose GTFS timetable gives no peak-hour departure are left out; population from population units, else districts."
                        : d.Method + $" Straight line because {fallback}.";
                    var value = population.Total > 0 ? Math.Round(100 * reached.Total / population.Total, 2) : (double?)null;
                    return new(make(value, inputs, "No population: load population units or district populations.", method),
                        [reached, population], "value = 100 × populationWithAccess / population; each unit's populationWithAccess = population × reachedShare.");
                });
            }
            case "11.7.1":
            {
                var all = await Rows(OpenSpaceSql);
                return Each((scope, parameters, make) =>
                {
                    parameters["openSpaceReachM"] = OpenSpaceReachM;
                    parameters["publicAccessOnly"] = true;
                    var r = all[scope][0];
                    var inputs = Inputs(r);
                    var area = r["area_m2"] as double?;
                    var open = r["open_space_m2"] as double?;
                    var near = r["near_population"] as double?;
                    var people = r["population"] as double?;
                    inputs["populationWithin400mShare"] = near is not null && people is > 0 ? Math.Round(100 * near.Value / people.Value, 2) : null;
                    inputs["builtUpSource"] = r["epoch"] is null ? "districts (no built-up layer)" : $"built-up epoch {r["epoch"]}";
                    return new(make(area is > 0 && open is not null ? Math.Round(100 * open.Value / area.Value, 2) : null, inputs,
                        "No built-up area or districts to measure against.", null), [], "value = 100 × openSpaceM2 / areaM2");
                });
            }
            case "11.3.1":
            {
                var all = await Rows(LandSql);
                return Each((scope, _, make) =>
                {
                    var r = all[scope][0];
                    var inputs = Inputs(r);
                    if (scope is not "") inputs["note"] = "Population is the city's: district populations by year are not recorded.";
                    var (value, reason) = Lcrpgr(r["first"] as int?, r["last"] as int?, r["first_m2"] as double?, r["last_m2"] as double?,
                        r["first_population"] as double?, r["last_population"] as double?, r["population_years"] as string, inputs);
                    return new(make(value, inputs, reason, null), [], null);
                });
            }
            case "population-density":
            case "built-up-density":
            {
                var all = await Rows(DensitySql);
                return Each((scope, _, make) =>
                {
                    var r = all[scope][0];
                    var inputs = Inputs(r);
                    var people = r["population"] as double?;
                    var km2 = (d.Code == "population-density" ? r["area_km2"] : r["built_up_km2"]) as double?;
                    string? reason = people is null or 0 ? "No population: the districts carry none."
                        : km2 is null or 0 ? (d.Code == "population-density" ? "No district area." : "No built-up layer: import built-up extents.") : null;
                    return new(make(reason is null ? Math.Round(people!.Value / km2!.Value, 2) : null, inputs, reason, null), [], null);
                });
            }
            default:
            {
                // One row per district; the city's figures are the sum of all of them.
                var districts = await Raw(TenureSql);
                var numerator = d.Code == "registration-coverage" ? "registered" : "documented";
                return Each((scope, _, make) =>
                {
                    var rows = scope is "" ? districts : districts.Where(x => (string)x["district"]! == scope).ToList();
                    double Sum(string col) => rows.Sum(x => Convert.ToDouble(x[col], CultureInfo.InvariantCulture));
                    var inputs = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var col in new[] { "active", "registered", "verified", "surveyed", "documented", "occupancy_certificates" })
                        inputs[Camel(col)] = (long)Sum(col);
                    var active = Sum("active");
                    var terms = new List<ExplainTerm>
                    {
                        new(numerator, Sum(numerator), rows.Select(x => new Contribution("districts", 0, (string)x["district"]!, null, Convert.ToDouble(x[numerator], CultureInfo.InvariantCulture))).ToList()),
                        new("active", active, rows.Select(x => new Contribution("districts", 0, (string)x["district"]!, null, Convert.ToDouble(x["active"], CultureInfo.InvariantCulture))).ToList()),
                    };
                    return new(make(active > 0 ? Math.Round(100 * Sum(numerator) / active, 2) : null, inputs, "No active properties.", null), terms,
                        $"value = 100 × {numerator} / active");
                });
            }
        }
    }

    // Rows grouped by their "scope" column; every scope asked for gets a list (empty when no row names it).
    private static Dictionary<string, List<Dictionary<string, object?>>> ByScope(List<Dictionary<string, object?>> rows, IReadOnlyList<string> scopes)
    {
        var map = scopes.ToDictionary(s => s, _ => new List<Dictionary<string, object?>>(), StringComparer.Ordinal);
        foreach (var row in rows)
            if (map.TryGetValue((string)row["scope"]!, out var list)) list.Add(row);
        return map;
    }

    // Service-charge indicators from one row per fiscal year (revenue.sql): the year asked for (else the latest with
    // data) and, for the change, the baseline (else the earliest); a year without data is a reason, not a zero.
    private static Explanation Revenue(IndicatorDefinition d, List<Dictionary<string, object?>> years, int? year, int? baseline,
        Dictionary<string, object?> parameters, Func<double?, Dictionary<string, object?>, string?, string?, IndicatorResult> make)
    {
        var byYear = years.ToDictionary(r => (int)r["fiscal_year"]!);
        var known = string.Join(", ", byYear.Keys);
        string Missing(string what, int y) => $"The {what} fiscal year {y} has no service-charge assessments or payments" +
            (byYear.Count == 0 ? "; none are recorded." : $" (years with data: {known}).");
        var inputs = new Dictionary<string, object?>(StringComparer.Ordinal) { ["yearsWithData"] = byYear.Keys.ToArray() };
        if (byYear.Count == 0) return new(make(null, inputs, "No service-charge assessments or payments are recorded.", null), [], null);
        var y = year ?? byYear.Keys.Max();
        parameters["fiscalYear"] = y;
        if (!byYear.TryGetValue(y, out var row)) return new(make(null, inputs, Missing("requested", y), null), [], null);
        void Put(string prefix, Dictionary<string, object?> r)
        {
            foreach (var col in new[] { "assessed", "assessed_amount", "paying", "collected", "payments" })
                inputs[Camel(prefix.Length == 0 ? col : prefix + "_" + col)] = r[col] is double v ? Math.Round(v, 2) : r[col];
        }
        Put("", row);
        var collected = (double)row["collected"]!;
        var assessedAmount = (double)row["assessed_amount"]!;
        inputs["collectionRate"] = assessedAmount > 0 ? Math.Round(100 * collected / assessedAmount, 2) : null;
        switch (d.Code)
        {
            case "service-charge-revenue":
                return new(make(Math.Round(collected, 2), inputs, null, null), [], "value = collected");
            case "service-charge-collection-rate":
                return new(make(inputs["collectionRate"] as double?, inputs, $"Nothing was assessed for fiscal year {y}.", null), [],
                    "value = 100 × collected / assessedAmount");
            default:
            {
                var b = baseline ?? byYear.Keys.Min();
                parameters["baselineYear"] = b;
                if (b == y) return new(make(null, inputs, $"The baseline and the fiscal year are the same ({y}): name another with ?baseline= or ?year= (years with data: {known}).", null), [], null);
                if (!byYear.TryGetValue(b, out var bRow)) return new(make(null, inputs, Missing("baseline", b), null), [], null);
                Put("baseline", bRow);
                var bCollected = (double)bRow["collected"]!;
                var bPaying = Convert.ToDouble(bRow["paying"], CultureInfo.InvariantCulture);
                var paying = Convert.ToDouble(row["paying"], CultureInfo.InvariantCulture);
                inputs["payingChange"] = bPaying > 0 ? Math.Round(100 * (paying - bPaying) / bPaying, 2) : null;
                inputs["baselineCollectionRate"] = (double)bRow["assessed_amount"]! > 0 ? Math.Round(100 * bCollected / (double)bRow["assessed_amount"]!, 2) : null;
                var value = bCollected > 0 ? Math.Round(100 * (collected - bCollected) / bCollected, 2) : (double?)null;
                return new(make(value, inputs, $"Nothing was collected in the baseline fiscal year {b}, so a change against it is undefined.", null), [],
                    "value = 100 × (collected − baselineCollected) / baselineCollected");
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
            var epochs = await RowsAsync(db, SeriesSql, city, district, false, ct);
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

    // 11.2.1 along the street network: the city's noded street graph, (re)built first when the streets changed (its own
    // transaction, under a lock per city), then the steps of transit_network.sql in one transaction on one connection
    // (their temporary tables live until commit); the last step gives one row per population unit.
    private static async Task<List<Dictionary<string, object?>>> NetworkRowsAsync(NpgsqlDataSource db, IndicatorCity city, string? district, bool every,
        long? streetsVersion, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            NpgsqlParameter[] Graph() => [new() { Value = city.Id }, new() { Value = city.Utm },
                new() { Value = (object?)streetsVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint }];
            var first = await StepsAsync(conn, tx, StreetGraphSteps[..1], Graph, ct);
            if (first[0]["rebuild"] is true) await StepsAsync(conn, tx, StreetGraphSteps[1..], Graph, ct);
            await tx.CommitAsync(ct);
        }
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            await using (var noJit = new NpgsqlCommand("SET LOCAL jit = off", conn, tx)) await noJit.ExecuteNonQueryAsync(ct);
            var rows = await StepsAsync(conn, tx, TransitNetworkSteps, () => [new() { Value = city.Id },
                new() { Value = (object?)district ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }, new() { Value = city.Utm }, new() { Value = every }], ct);
            await tx.CommitAsync(ct);
            return rows;
        }
    }

    // Runs SQL steps in order; a step that names parameters ($n) gets them all, by position, as one statement. Returns
    // the rows of the last step.
    private static async Task<List<Dictionary<string, object?>>> StepsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string[] steps,
        Func<NpgsqlParameter[]> parameters, CancellationToken ct)
    {
        List<Dictionary<string, object?>> rows = [];
        foreach (var step in steps)
        {
            await using var cmd = new NpgsqlCommand(step, conn, tx) { CommandTimeout = 300 };
            if (step.Contains('$', StringComparison.Ordinal)) cmd.Parameters.AddRange(parameters());
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            rows = await ReadRowsAsync(reader, ct);
        }
        return rows;
    }

    // Parameters by position: $1 city id, $2 district code (or NULL = the city), $3 UTM srid, $4 as-of instant (or NULL =
    // now), $5 every (the city and each of its districts at once; $2 is then NULL). A statement declares all five
    // whether or not it reads each. Over every scope (the full recompute) JIT is off: the statements' cost estimates
    // (geometry functions, CTEs) pass the JIT threshold, and compiling took 1.5-2 s of a 1.5 s statement (11.7.1 on the
    // 1M-parcel city) without making it faster. One scope runs as a single statement, without the transaction that
    // SET LOCAL needs, to keep the incremental update's round trips few.
    private static async Task<List<Dictionary<string, object?>>> RowsAsync(NpgsqlDataSource db, string sql, IndicatorCity city, string? district, bool every,
        CancellationToken ct, DateTimeOffset? at = null)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = every ? await conn.BeginTransactionAsync(ct) : null;
        if (tx is not null)
            await using (var noJit = new NpgsqlCommand("SET LOCAL jit = off", conn, tx)) await noJit.ExecuteNonQueryAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 300 };
        cmd.Parameters.Add(new NpgsqlParameter { Value = city.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)district ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = city.Utm });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)at?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = every });
        List<Dictionary<string, object?>> rows;
        await using (var reader = await cmd.ExecuteReaderAsync(ct)) rows = await ReadRowsAsync(reader, ct);
        if (tx is not null) await tx.CommitAsync(ct);
        return rows;
    }

    private static async Task<List<Dictionary<string, object?>>> ReadRowsAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync(ct))
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    // Inputs as reported: every column of the query but its scope, in camelCase, doubles rounded.
    private static Dictionary<string, object?> Inputs(IReadOnlyDictionary<string, object?> row) =>
        row.Where(kv => kv.Key != "scope").ToDictionary(kv => Camel(kv.Key), kv => kv.Value is double d ? Math.Round(d, 2) : kv.Value, StringComparer.Ordinal);

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
