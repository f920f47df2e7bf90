using System.Globalization;
using System.Text.Json;
using Npgsql;
using UrbanMonitor.Domain.Sampling;
using UrbanMonitor.Domain.Text;
using T = UrbanMonitor.Api.Sampling.SamplingApi.ProblemTypes;

namespace UrbanMonitor.Api.Sampling;

/// <summary>A national-sample request: the city universe and the design.</summary>
public sealed record NationalSampleRequest(IReadOnlyList<UniverseCity> Cities, int SampleSize, string Allocation, long Seed);

/// <summary>The JSON body of <c>POST /api/national-samples</c>.</summary>
public sealed record NationalSampleBody(List<UniverseCityBody>? Cities, int? SampleSize, string? Allocation, long? Seed);

/// <summary>A city of the universe as sent (size class optional: derived from population when absent).</summary>
public sealed record UniverseCityBody(string? Name, long? Population, string? Region, string? SizeClass);

/// <summary>
/// National samples of cities: the universe comes as JSON (<c>{"cities":[…],"sampleSize":…}</c>) or as CSV with a header
/// <c>name,population,region[,size_class]</c> and the design in the query (<c>?sampleSize=&amp;allocation=&amp;seed=</c>).
/// </summary>
internal static class NationalSamples
{
    public sealed record Parsed(IResult? Problem, NationalSampleRequest? Request = null);
    public sealed record Stored(IResult? Problem, object? Body = null, string? Code = null);

    private static Parsed Fail(string title, string detail, int status = 400) => new(SamplingApi.Bad(T.InvalidUniverse, title, detail, status));

    public static async Task<Parsed> ParseAsync(HttpRequest request, CancellationToken ct)
    {
        var media = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var q = request.Query;
        if (media is "text/csv")
        {
            using var reader = new StreamReader(request.Body);
            var text = await reader.ReadToEndAsync(ct);
            var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
            if (lines.Count < 2) return Fail("Empty universe", "The CSV needs a header line and at least one city.");
            var header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToList();
            int Col(params string[] names) => header.FindIndex(names.Contains);
            var (name, pop, region, size) = (Col("name"), Col("population"), Col("region"), Col("size_class", "sizeclass", "size class"));
            if (name < 0 || pop < 0 || region < 0) return Fail("Missing columns", "The CSV header needs name, population and region (size_class is optional).");
            var cities = new List<UniverseCity>();
            for (var i = 1; i < lines.Count; i++)
            {
                var f = lines[i].Split(',').Select(v => v.Trim().Trim('"')).ToArray();
                if (f.Length < header.Count || !long.TryParse(f[pop], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p))
                    return Fail("Bad CSV row", $"Line {i + 1} needs {header.Count} fields and a whole-number population: '{lines[i]}'.");
                cities.Add(new UniverseCity(f[name], p, f[region], size >= 0 && f[size].Length > 0 ? f[size] : null));
            }
            if (!int.TryParse(q["sampleSize"], out var n)) return Fail("Sample size missing", "With a CSV body give ?sampleSize= (and optionally allocation, seed).");
            long seed = 1;
            if (q.ContainsKey("seed") && !long.TryParse(q["seed"], out seed)) return Fail("Invalid seed", "seed must be a whole number.");
            return new(null, new NationalSampleRequest(cities, n, q["allocation"].ToString(), seed));
        }
        if (media is "application/json" or null)
        {
            NationalSampleBody? body;
            try { body = await JsonSerializer.DeserializeAsync<NationalSampleBody>(request.Body, SamplingApi.JsonOptions, ct); }
            catch (JsonException e) { return Fail("Unreadable body", $"The body is not a national-sample request in JSON: {e.Message}"); }
            if (body?.Cities is null) return Fail("Empty universe", "Give the universe in 'cities': [{name, population, region, sizeClass?}].");
            if (body.SampleSize is not { } n) return Fail("Sample size missing", "Give 'sampleSize'.");
            var bad = body.Cities.FindIndex(c => c is null || c.Population is null);
            if (bad >= 0) return Fail("City without population", $"City {bad} of the universe has no population.");
            return new(null, new NationalSampleRequest(
                body.Cities.Select(c => new UniverseCity(c.Name ?? "", c.Population!.Value, c.Region ?? "", c.SizeClass)).ToList(),
                n, body.Allocation ?? "", body.Seed ?? 1));
        }
        return Fail("Unsupported media type", "Send the universe as application/json or text/csv.", StatusCodes.Status415UnsupportedMediaType);
    }

    public static async Task<Stored> DrawAndStoreAsync(NpgsqlDataSource db, NationalSampleRequest r, CancellationToken ct)
    {
        // The names are stored and shown again: text PostgreSQL can store (no NUL) and a reader can trust.
        for (var i = 0; i < r.Cities.Count; i++)
            foreach (var (field, value) in new[] { ("name", r.Cities[i].Name), ("region", r.Cities[i].Region), ("sizeClass", r.Cities[i].SizeClass) })
                if (value is not null && TextRules.Problem($"cities[{i}].{field}", value, 200) is { } why)
                    return new(SamplingApi.Bad(T.InvalidUniverse, "Invalid text", why));
        if (StratifiedSampling.ParseAllocation(r.Allocation) is not { } allocation)
            return new(SamplingApi.Bad(T.InvalidUniverse, "Unknown allocation", $"allocation must be proportional, equal or neyman; it was '{r.Allocation}'."));
        NationalSampleResult result;
        try { result = NationalSample.Draw(r.Cities, r.SampleSize, allocation, r.Seed); }
        catch (SamplingException ex) { return new(SamplingApi.Bad(T.InvalidUniverse, "Impossible national sample", ex.Message, StatusCodes.Status422UnprocessableEntity)); }

        var allocationName = allocation.ToString().ToLowerInvariant();
        var e = result.PopulationEstimate;
        object Body(string code) => new
        {
            code,
            allocation = allocationName,
            sampleSize = r.SampleSize,
            seed = r.Seed,
            universeSize = r.Cities.Count,
            strata = result.Strata,
            cities = result.Cities,
            population = new
            {
                estimate = e.Value,
                standardError = e.StandardError,
                ci95 = e.Lower95 is { } lo && e.Upper95 is { } hi ? new[] { lo, hi } : null,
                census = result.PopulationCensus,
                estimator = e.Estimator,
            },
            method = "UN-Habitat National Sample of Cities: strata region × size class, stratified simple random sample, weights N_h/n_h",
        };
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO national_samples (code, allocation, sample_size, seed, universe, result)
            VALUES ('pending-' || gen_random_uuid(), $1, $2, $3, $4::jsonb, '{}')
            RETURNING id
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = allocationName });
        cmd.Parameters.Add(new NpgsqlParameter { Value = r.SampleSize });
        cmd.Parameters.Add(new NpgsqlParameter { Value = r.Seed });
        cmd.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(r.Cities, SamplingApi.JsonOptions) });
        var id = (long)(await cmd.ExecuteScalarAsync(ct))!;
        var code = $"NSC-{id}";
        var body = Body(code);
        await using var update = new NpgsqlCommand("UPDATE national_samples SET code = $3, result = $2::jsonb WHERE id = $1", conn, tx);
        update.Parameters.Add(new NpgsqlParameter { Value = id });
        update.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(body, SamplingApi.JsonOptions) });
        update.Parameters.Add(new NpgsqlParameter { Value = code });
        await update.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return new(null, body, code);
    }

    public static async Task<string?> GetAsync(NpgsqlDataSource db, string code, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT result::text FROM national_samples WHERE code = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = code });
        return await cmd.ExecuteScalarAsync(ct) as string;
    }
}
