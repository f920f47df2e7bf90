using System.Net.Http.Json;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Indicators;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// The full recompute computes each indicator for the city and every district at once; these tests hold it to the
/// live computation of one scope at a time (<c>/api/indicators/{code}?city=&amp;district=</c>), on the synthetic city with
/// data behind every indicator: statuses and documented rights spread over the districts, service charges assessed
/// and paid in two fiscal years through the revenue API, and 11.2.1 along the street network (pgRouting).
/// </summary>
public class IndicatorRecomputeTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly SemaphoreSlim Gate = new(1);
    private static bool _loaded;

    // Every 7th property registered and every 5th verified; every 4th holds an ownership right and every 9th an
    // occupancy certificate; districts 1 and 2 assessed for fiscal years 1400 and 1402 and some of their properties
    // paid, so each district has different figures.
    private async Task LoadAsync()
    {
        await Gate.WaitAsync(Ct);
        try
        {
            if (_loaded) return;
            await service.Db.ScalarAsync<long>("""
                WITH s AS (UPDATE properties SET status = CASE WHEN id % 7 = 0 THEN 'registered' ELSE 'verified' END
                           WHERE id % 7 = 0 OR id % 5 = 0 RETURNING 1)
                SELECT count(*) FROM s
                """);
            await service.Db.ScalarAsync<long>("""
                WITH p AS (INSERT INTO parties (city_id, kind, name) SELECT id, 'person', 'Holder' FROM cities WHERE slug = 'synthetic' RETURNING city_id, id),
                r AS (INSERT INTO rights (city_id, property_id, party_id, kind, share)
                      SELECT pr.city_id, pr.id, p.id, CASE WHEN pr.id % 4 = 0 THEN 'ownership' ELSE 'occupancy-certificate' END, 1
                      FROM properties pr JOIN p ON p.city_id = pr.city_id WHERE pr.id % 4 = 0 OR pr.id % 9 = 0 RETURNING 1)
                SELECT count(*) FROM r
                """);
            await IndicatorsRevenueTests.AssessAsync(service.Api, [1400, 1402], "1", "2");
            using var officer = service.Api.CreateClient().WithToken(TestTokens.For("land-officer"));
            var ids = new List<long>();
            await using (var cmd = service.Db.DataSource.CreateCommand("""
                SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY district_code ORDER BY id) AS n FROM properties WHERE district_code IN ('1', '2')) x
                WHERE n <= 5 ORDER BY id
                """))
            await using (var r = await cmd.ExecuteReaderAsync(Ct))
                while (await r.ReadAsync(Ct)) ids.Add(r.GetInt64(0));
            foreach (var id in ids.Where((_, i) => i % 2 == 0))
                await IndicatorsRevenueTests.OkAsync(await officer.PostAsJsonAsync($"/api/properties/{id}/payments", new { amount = 1000, date = "2021-06-01", method = "cash" }, Ct));
            foreach (var id in ids)
                await IndicatorsRevenueTests.OkAsync(await officer.PostAsJsonAsync($"/api/properties/{id}/payments", new { amount = 1500, date = "2023-06-01", method = "bank" }, Ct));
            _loaded = true;
        }
        finally { Gate.Release(); }
    }

    private async Task<Dictionary<(string District, string Code), (double? Value, string? Reason, string Method, JsonElement Inputs)>> StoredAsync(int cityId)
    {
        await using var cmd = service.Db.DataSource.CreateCommand(
            "SELECT district_code, code, value, reason, method, inputs::text FROM indicator_results WHERE city_id = $1");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = cityId });
        var map = new Dictionary<(string, string), (double?, string?, string, JsonElement)>();
        await using var r = await cmd.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct))
            map[(r.GetString(0), r.GetString(1))] = (r.IsDBNull(2) ? null : r.GetDouble(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4),
                JsonDocument.Parse(r.GetString(5)).RootElement.Clone());
        return map;
    }

    // Numbers equal within floating tolerance (both sides round the same way), everything else exactly.
    private static void SameJson(JsonElement expected, JsonElement actual, string where)
    {
        if (expected.ValueKind == JsonValueKind.Number && actual.ValueKind == JsonValueKind.Number)
        {
            double e = expected.GetDouble(), a = actual.GetDouble();
            Assert.True(Math.Abs(e - a) <= 1e-9 * Math.Max(1, Math.Abs(e)), $"{where}: live {e}, recomputed {a}");
            return;
        }
        Assert.True(expected.ValueKind == actual.ValueKind, $"{where}: live {expected}, recomputed {actual}");
        if (expected.ValueKind == JsonValueKind.Object)
        {
            var names = expected.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(names, actual.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList());
            foreach (var name in names) SameJson(expected.GetProperty(name), actual.GetProperty(name), $"{where}.{name}");
        }
        else if (expected.ValueKind == JsonValueKind.Array)
        {
            Assert.Equal(expected.GetArrayLength(), actual.GetArrayLength());
            foreach (var (e, a) in expected.EnumerateArray().Zip(actual.EnumerateArray())) SameJson(e, a, where + "[]");
        }
        else Assert.True(expected.ToString() == actual.ToString(), $"{where}: live {expected}, recomputed {actual}");
    }

    [Fact]
    public async Task TheSetWiseRecomputeStoresWhatTheLiveComputationGivesForEveryIndicatorAndDistrict()
    {
        await LoadAsync();
        var db = service.Db.DataSource;
        var city = (await IndicatorEngine.FindCityAsync(db, "synthetic", Ct))!;
        Assert.True(city.Districts.Count > 1);
        var written = await IndicatorStore.RecomputeCityAsync(db, city, null, Ct);
        Assert.Equal(IndicatorEngine.Catalogue.Count * (city.Districts.Count + 1), written);
        var stored = await StoredAsync(city.Id);
        Assert.Equal(written, stored.Count);

        foreach (var d in IndicatorEngine.Catalogue)
            foreach (var district in city.Districts.Prepend(null))
            {
                var where = $"{d.Code} {(district is null ? "city" : "district " + district)}";
                var live = await IndicatorEngine.ComputeAsync(db, d, city, district, Ct);
                var row = stored[(district ?? "", d.Code)];
                Assert.True(live.Value is null == row.Value is null, $"{where}: live {live.Value}, recomputed {row.Value}");
                if (live.Value is { } v) Assert.True(Math.Abs(v - row.Value!.Value) <= 1e-9 * Math.Max(1, Math.Abs(v)), $"{where}: live {v}, recomputed {row.Value}");
                Assert.Equal(live.Reason, row.Reason);
                Assert.Equal(live.Method, row.Method);
                SameJson(JsonSerializer.SerializeToElement(live.Inputs, JsonSerializerOptions.Web), row.Inputs, where);
            }

        // The data behind the comparison is not trivial: every kind of figure is there, and 11.2.1 walked the streets.
        Assert.Equal("network", stored[("", "11.2.1")].Inputs.GetProperty("routing").GetString());
        Assert.True(stored[("", "registration-coverage")].Value > 0);
        Assert.True(stored[("", "tenure-security")].Value > 0);
        Assert.NotNull(stored[("1", "service-charge-collection-rate")].Value);
        Assert.NotNull(stored[("2", "service-charge-change")].Value);
        Assert.NotNull(stored[("", "11.1.1")].Value);
        Assert.NotNull(stored[("", "11.7.1")].Value);
        Assert.NotNull(stored[("", "11.3.1")].Value);
    }

    [Fact]
    public async Task TheRecomputedCityRowsAgreeWithTheirDistricts()
    {
        await LoadAsync();
        var db = service.Db.DataSource;
        var city = (await IndicatorEngine.FindCityAsync(db, "synthetic", Ct))!;
        await IndicatorStore.RecomputeCityAsync(db, city, null, Ct);
        var stored = await StoredAsync(city.Id);
        double Input(string district, string code, string name) => stored[(district, code)].Inputs.GetProperty(name).GetDouble();
        double SumOfDistricts(string code, string name) => city.Districts.Sum(d => Input(d, code, name));

        // Counts add up exactly: each property is in one district.
        foreach (var code in new[] { "registration-coverage", "tenure-security" })
            foreach (var name in new[] { "active", "registered", "verified", "surveyed", "documented", "occupancyCertificates" })
                Assert.Equal(SumOfDistricts(code, name), Input("", code, name));
        Assert.Equal(await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE status <> 'retired'"), (long)Input("", "tenure-security", "active"));
        // Populations: the districts' own, and the units' (each unit's point lies in one district). Inputs are rounded to
        // two decimals, so sums of districts may differ from the city's by a few hundredths.
        Assert.Equal(SumOfDistricts("11.1.1", "urbanPopulation"), Input("", "11.1.1", "urbanPopulation"));
        Assert.Equal(SumOfDistricts("11.2.1", "population"), Input("", "11.2.1", "population"), 0.05);
        Assert.Equal(SumOfDistricts("11.2.1", "withAccess"), Input("", "11.2.1", "withAccess"), 0.05);
        Assert.Equal(SumOfDistricts("population-density", "population"), Input("", "population-density", "population"));
        // Settlements are apportioned over the districts they meet; parts outside every district count for the city only.
        Assert.True(SumOfDistricts("11.1.1", "settlementPopulation") <= Input("", "11.1.1", "settlementPopulation") + 0.05);
        // Service charges: the city's latest year is the sum of its districts' (only districts 1 and 2 have any, the same years).
        foreach (var name in new[] { "collected", "assessedAmount", "paying", "payments" })
            Assert.Equal(Input("1", "service-charge-revenue", name) + Input("2", "service-charge-revenue", name), Input("", "service-charge-revenue", name), 0.05);
        Assert.False(stored[("3", "service-charge-revenue")].Inputs.TryGetProperty("collected", out _));
        // Areas: the districts tile the city, and the parks lie inside them.
        Assert.Equal(SumOfDistricts("population-density", "areaKm2"), Input("", "population-density", "areaKm2"), 0.05);
        Assert.Equal(SumOfDistricts("11.7.1", "openSpaceM2"), Input("", "11.7.1", "openSpaceM2"), 0.05);
    }
}
