using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace UrbanMonitor.Database.Indicators;

/// <summary>A step of a full recompute, for progress bars: <c>Done</c> of <c>Total</c> indicators computed (each for the
/// city and every district at once), what just finished and, for an indicator, how long it took (wall time; indicators
/// run side by side, and one that reads rows another fetched first waits for them).</summary>
public sealed record RecomputeStep(int Done, int Total, string What, TimeSpan? Took = null);

/// <summary>What an incremental update did: the (city, district, indicator) results it rewrote and how long it took.</summary>
public sealed record UpdateReport(IReadOnlyList<(string City, string District, string Code)> Rewritten, TimeSpan Elapsed);

/// <summary>
/// Stored indicator results (<c>indicator_results</c>, district '' = the whole city): a full recompute of a city, and
/// the incremental update that drains <c>indicator_dirty</c> (filled by triggers on properties, rights and settlements)
/// and recomputes only the dirty districts' indicators that read the changed layer, then the city row.
/// </summary>
public static class IndicatorStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Recomputes and stores every indicator for the city and each of its districts: each indicator is computed
    /// for all of them at once (<see cref="IndicatorEngine.ExplainEveryScopeAsync"/>: the SQL of the live per-district
    /// computation, run once over every scope), several indicators side by side on their own connections, then all
    /// results are written by one statement in one transaction, which also drops the dirty-district entries queued before
    /// the recompute began (it covers them). Returns the number of results written: indicators × (districts + 1).</summary>
    /// <param name="parallel">Indicators computed at once (default: the processor count, at most 4).</param>
    public static async Task<int> RecomputeCityAsync(NpgsqlDataSource db, IndicatorCity city, IProgress<RecomputeStep>? progress, CancellationToken ct,
        int? parallel = null)
    {
        DateTime started;
        await using (var now = db.CreateCommand("SELECT clock_timestamp()"))
            started = (DateTime)(await now.ExecuteScalarAsync(ct))!;
        var shared = new SharedRows();
        var catalogue = IndicatorEngine.Catalogue;
        // 11.2.1 first: along the streets it may (re)build the city's street graph, the longest single step.
        var order = catalogue.Select((d, i) => (Definition: d, Index: i)).OrderBy(x => x.Definition.Code == "11.2.1" ? 0 : 1).ToList();
        var computed = new IReadOnlyDictionary<string, Explanation>[catalogue.Count];
        var done = 0;
        progress?.Report(new(0, catalogue.Count, $"computing {catalogue.Count} indicators for the city and {city.Districts.Count} districts"));
        await Parallel.ForEachAsync(order, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallel ?? Math.Min(Environment.ProcessorCount, 4)), CancellationToken = ct },
            async (x, token) =>
            {
                var clock = Stopwatch.StartNew();
                computed[x.Index] = await IndicatorEngine.ExplainEveryScopeAsync(db, x.Definition, city, shared, token);
                progress?.Report(new(Interlocked.Increment(ref done), catalogue.Count, x.Definition.Code, clock.Elapsed));
            });
        var results = computed.SelectMany(c => c.Values.Select(e => e.Result)).ToList();
        var write = Stopwatch.StartNew();
        await using (var conn = await db.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            await WriteAsync(conn, tx, city.Id, results, ct);
            await using (var clear = new NpgsqlCommand("DELETE FROM indicator_dirty WHERE city_id = $1 AND marked_at < $2", conn, tx))
            {
                clear.Parameters.Add(new NpgsqlParameter { Value = city.Id });
                clear.Parameters.Add(new NpgsqlParameter { Value = started, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                await clear.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        progress?.Report(new(catalogue.Count, catalogue.Count, $"wrote {results.Count} results", write.Elapsed));
        return results.Count;
    }

    // Writes (replaces) results with one INSERT … SELECT from arrays, so the tile triggers on indicator_results fire once
    // per statement and announce each indicator's changed districts together (the full recompute's thousands, or one).
    private static async Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, int cityId, IReadOnlyList<IndicatorResult> results, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO indicator_results (city_id, district_code, code, value, unit, reason, method, method_version, inputs, provenance, computed_at)
            SELECT $1, r.district_code, r.code, r.value, r.unit, r.reason, r.method, r.method_version, r.inputs::jsonb, r.provenance::jsonb, r.computed_at
            FROM unnest($2::text[], $3::text[], $4::double precision[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])
                 AS r (district_code, code, value, unit, reason, method, method_version, inputs, provenance, computed_at)
            ON CONFLICT (city_id, district_code, code) DO UPDATE SET
                value = EXCLUDED.value, unit = EXCLUDED.unit, reason = EXCLUDED.reason, method = EXCLUDED.method,
                method_version = EXCLUDED.method_version, inputs = EXCLUDED.inputs, provenance = EXCLUDED.provenance,
                computed_at = EXCLUDED.computed_at
            """, conn, tx) { CommandTimeout = 300 };
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => r.District ?? "").ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => r.Code).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => r.Value).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => r.Unit).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => r.Reason).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => r.Method).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => r.MethodVersion).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => JsonSerializer.Serialize(r.Inputs, Json)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => JsonSerializer.Serialize(r.Provenance, Json)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = results.Select(r => r.ComputedAt).ToArray() });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Drains the dirty-district queue (a mark may be queued more than once by concurrent writers, migration 0120;
    /// each is taken once): for each city with stored results, recomputes the indicators that read
    /// a changed layer in each dirty district, then their city rows. Cities never recomputed are skipped (their queue
    /// entries dropped): there is nothing stored to keep current.</summary>
    public static async Task<UpdateReport> UpdateDirtyAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var dirty = new List<(int CityId, string Slug, string District, string Layer)>();
        await using (var cmd = db.CreateCommand("""
            WITH taken AS (DELETE FROM indicator_dirty RETURNING city_id, district_code, layer)
            SELECT DISTINCT t.city_id, c.slug, t.district_code, t.layer FROM taken t JOIN cities c ON c.id = t.city_id
            WHERE EXISTS (SELECT 1 FROM indicator_results r WHERE r.city_id = t.city_id)
            """))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) dirty.Add((r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3)));

        var rewritten = new List<(string, string, string)>();
        foreach (var byCity in dirty.GroupBy(x => x.Slug))
        {
            var city = await IndicatorEngine.FindCityAsync(db, byCity.Key, ct);
            if (city is null) continue;
            var codes = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (_, _, district, layer) in byCity)
            {
                if (!city.Districts.Contains(district)) continue;
                foreach (var d in IndicatorEngine.Catalogue.Where(d => d.Layers.Contains(layer)))
                {
                    await SaveAsync(db, city.Id, await IndicatorEngine.ComputeAsync(db, d, city, district, ct), ct);
                    rewritten.Add((city.Slug, district, d.Code));
                    codes.Add(d.Code);
                }
            }
            foreach (var code in codes)
            {
                var d = IndicatorEngine.Find(code)!;
                var result = IndicatorEngine.IsAdditive(code) ? await FromDistrictsAsync(db, d, city, ct) : await IndicatorEngine.ComputeAsync(db, d, city, null, ct);
                await SaveAsync(db, city.Id, result, ct);
                rewritten.Add((city.Slug, "", code));
            }
        }
        return new UpdateReport(rewritten, clock.Elapsed);
    }

    /// <summary>A count-based indicator's city value from its stored district rows (their counts summed).</summary>
    private static async Task<IndicatorResult> FromDistrictsAsync(NpgsqlDataSource db, IndicatorDefinition d, IndicatorCity city, CancellationToken ct)
    {
        var numerator = d.Code == "registration-coverage" ? "registered" : "documented";
        string[] columns = ["active", "registered", "verified", "surveyed", "documented", "occupancyCertificates"];
        await using var cmd = db.CreateCommand("""
            SELECT k, sum((inputs ->> k)::bigint)::bigint
            FROM indicator_results, unnest($3::text[]) AS k
            WHERE city_id = $1 AND code = $2 AND district_code <> ''
            GROUP BY k
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = city.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = d.Code });
        cmd.Parameters.Add(new NpgsqlParameter { Value = columns });
        var inputs = columns.ToDictionary(c => c, _ => (object?)0L, StringComparer.Ordinal);
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) inputs[r.GetString(0)] = r.IsDBNull(1) ? 0L : r.GetInt64(1);
        var active = (long)inputs["active"]!;
        var value = active > 0 ? Math.Round(100.0 * (long)inputs[numerator]! / active, 2) : (double?)null;
        var layers = (await IndicatorEngine.ComputeProvenanceAsync(db, d, city, ct));
        return new IndicatorResult(d.Code, d.Name, city.Slug, null, value, d.Unit, d.Method, d.MethodVersion, inputs,
            value is null ? "No active properties." : null,
            new Provenance(layers, d.MethodVersion, new Dictionary<string, object?> { ["cityFrom"] = "sum of the stored district results" }, DateTimeOffset.UtcNow));
    }

    /// <summary>Writes (replaces) one stored result.</summary>
    public static async Task SaveAsync(NpgsqlDataSource db, int cityId, IndicatorResult result, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await WriteAsync(conn, null, cityId, [result], ct);
    }
}
