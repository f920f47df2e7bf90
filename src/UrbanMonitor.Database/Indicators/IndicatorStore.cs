using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace UrbanMonitor.Database.Indicators;

/// <summary>A step of a recompute, for progress bars: <c>Done</c> of <c>Total</c> results written.</summary>
public sealed record RecomputeStep(int Done, int Total, string What);

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

    /// <summary>Recomputes and stores every indicator for the city and each of its districts.</summary>
    public static async Task<int> RecomputeCityAsync(NpgsqlDataSource db, IndicatorCity city, IProgress<RecomputeStep>? progress, CancellationToken ct)
    {
        var scopes = city.Districts.Select(d => (string?)d).Append(null).ToList();
        var total = IndicatorEngine.Catalogue.Count * scopes.Count;
        var done = 0;
        foreach (var d in IndicatorEngine.Catalogue)
        {
            foreach (var district in scopes)
            {
                progress?.Report(new(done, total, $"{d.Code} {(district is null ? "city" : "district " + district)}"));
                var result = district is null && IndicatorEngine.IsAdditive(d.Code)
                    ? await FromDistrictsAsync(db, d, city, ct)
                    : await IndicatorEngine.ComputeAsync(db, d, city, district, ct);
                await SaveAsync(db, city.Id, result, ct);
                done++;
            }
        }
        progress?.Report(new(done, total, "done"));
        return done;
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
        await using var cmd = db.CreateCommand("""
            INSERT INTO indicator_results (city_id, district_code, code, value, unit, reason, method, method_version, inputs, provenance, computed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (city_id, district_code, code) DO UPDATE SET
                value = EXCLUDED.value, unit = EXCLUDED.unit, reason = EXCLUDED.reason, method = EXCLUDED.method,
                method_version = EXCLUDED.method_version, inputs = EXCLUDED.inputs, provenance = EXCLUDED.provenance,
                computed_at = EXCLUDED.computed_at
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = result.District ?? "" });
        cmd.Parameters.Add(new NpgsqlParameter { Value = result.Code });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)result.Value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        cmd.Parameters.Add(new NpgsqlParameter { Value = result.Unit });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)result.Reason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = result.Method });
        cmd.Parameters.Add(new NpgsqlParameter { Value = result.MethodVersion });
        cmd.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(result.Inputs, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(result.Provenance, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new NpgsqlParameter { Value = result.ComputedAt });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
