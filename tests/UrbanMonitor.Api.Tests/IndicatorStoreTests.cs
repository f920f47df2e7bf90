using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Indicators;

namespace UrbanMonitor.Api.Tests;

/// <summary>Stored results: a full recompute, then the service's updater rewriting only the district an edit touched.</summary>
public class IndicatorStoreTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Dictionary<string, (double? Value, DateTime At)>> StoredAsync(string code)
    {
        await using var cmd = service.Db.DataSource.CreateCommand(
            "SELECT r.district_code, r.value, r.computed_at FROM indicator_results r JOIN cities c ON c.id = r.city_id WHERE c.slug = 'synthetic' AND r.code = $1");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = code });
        var map = new Dictionary<string, (double?, DateTime)>();
        await using var r = await cmd.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct)) map[r.GetString(0)] = (r.IsDBNull(1) ? null : r.GetDouble(1), r.GetDateTime(2));
        return map;
    }

    [Fact]
    public async Task ARegistrationRewritesOnlyItsDistrictsStoredResultAndTheCitys()
    {
        _ = service.Api.Server; // starts the service and its updater
        var city = (await IndicatorEngine.FindCityAsync(service.Db.DataSource, "synthetic", Ct))!;
        Assert.True(city.Districts.Count > 1);
        var written = await IndicatorStore.RecomputeCityAsync(service.Db.DataSource, city, null, Ct);
        Assert.Equal(IndicatorEngine.Catalogue.Count * (city.Districts.Count + 1), written);
        var before = await StoredAsync("registration-coverage");
        Assert.Equal(city.Districts.Count + 1, before.Count);

        // The city's row is the sum of its districts: the same as computing it from every property.
        using (var client = service.Api.CreateClient())
        {
            using var live = JsonDocument.Parse(await client.GetStringAsync("/api/indicators/registration-coverage?city=synthetic", Ct));
            Assert.Equal(live.RootElement.GetProperty("value").GetDouble(), before[""].Value);
        }

        var district = await service.Db.ScalarAsync<string>("SELECT min(district_code) FROM properties WHERE status <> 'registered'");
        await service.Db.ScalarAsync<long>("""
            WITH u AS (UPDATE properties SET status = 'registered'
                       WHERE id = (SELECT min(id) FROM properties WHERE district_code = $1 AND status <> 'registered') RETURNING 1)
            SELECT count(*) FROM u
            """, district);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        Dictionary<string, (double? Value, DateTime At)> after;
        do
        {
            await Task.Delay(100, Ct);
            after = await StoredAsync("registration-coverage");
        } while ((after[district].At == before[district].At || after[""].At == before[""].At) && DateTime.UtcNow < deadline);

        Assert.True(after[district].Value > before[district].Value, $"district {district}: {before[district].Value} → {after[district].Value}");
        Assert.True(after[""].Value > before[""].Value);
        foreach (var other in city.Districts.Where(d => d != district))
            Assert.Equal(before[other], after[other]);
        // Indicators that do not read properties were not touched at all.
        var slum = await StoredAsync("11.1.1");
        Assert.All(slum.Values, v => Assert.True(v.At <= before[""].At.AddSeconds(60)));
        Assert.Equal(0, await service.Db.ScalarAsync<long>("SELECT count(*) FROM indicator_dirty"));
    }

    [Fact]
    public async Task StoredResultsAreListedWithProvenanceAndAsCsv()
    {
        var city = (await IndicatorEngine.FindCityAsync(service.Db.DataSource, "synthetic", Ct))!;
        await IndicatorStore.RecomputeCityAsync(service.Db.DataSource, city, null, Ct);
        using var client = service.Api.CreateClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/api/indicators/results?city=synthetic&district=1", Ct));
        var results = doc.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(IndicatorEngine.Catalogue.Count, results.Count);
        Assert.All(results, r => Assert.Equal("1", r.GetProperty("district").GetString()));
        Assert.All(results, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("provenance").GetProperty("methodVersion").GetString())));
        var csv = await client.GetStringAsync("/api/indicators/results?city=synthetic&format=csv", Ct);
        Assert.Equal(IndicatorEngine.Catalogue.Count * (city.Districts.Count + 1), CsvRows.Parse(csv).Count);
    }
}

/// <summary>The indicators on the real Rio data (../shared/data).</summary>
public class IndicatorsRioTests(RealDataTilesService service) : IClassFixture<RealDataTilesService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private void RequireData()
    {
        _ = service.Db.ConnectionString;
        if (!service.Loaded)
        {
            Assert.False(PostgisServer.OnCi, "CI=true and the real data in ../shared/data (or URBANMONITOR_DATA) is missing.");
            Assert.Skip("The real data sets (../shared/data) are not here.");
        }
    }

    private async Task<JsonElement> GetAsync(string url)
    {
        using var client = service.Api.CreateClient();
        client.Timeout = TimeSpan.FromMinutes(5); // Rio's 11.2.1 buffers thousands of stops on a shared 2-core machine
        using var response = await client.GetAsync(url, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task RioSlumShareIsFavelaPopulationOverCityPopulationFromTheTwoLayers()
    {
        RequireData();
        var favelas = await service.Db.ScalarAsync<double>("SELECT sum(s.population) FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'rio-de-janeiro'");
        var people = await service.Db.ScalarAsync<double>("SELECT sum(d.population) FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'rio-de-janeiro'");
        var r = await GetAsync("/api/indicators/11.1.1?city=rio-de-janeiro");
        Assert.True(favelas > 0 && people > favelas);
        Assert.Equal(Math.Round(100 * favelas / people, 2), r.GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task RioTransitAccessWithTheRealStopsStatesItsMethodAndTheExplainViewAddsUp()
    {
        RequireData();
        var r = await GetAsync("/api/indicators/11.2.1?city=rio-de-janeiro");
        Assert.Contains("Straight-line", r.GetProperty("method").GetString());
        Assert.Equal("straight-line buffers", r.GetProperty("provenance").GetProperty("parameters").GetProperty("routing").GetString());
        Assert.True(r.GetProperty("inputs").GetProperty("stopsUsed").GetInt64() > 100);
        var value = r.GetProperty("value").GetDouble();
        Assert.InRange(value, 1, 100);
        var e = await GetAsync("/api/indicators/11.2.1/explain?city=rio-de-janeiro");
        var terms = e.GetProperty("terms").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        var reached = terms["populationWithAccess"].GetProperty("features").EnumerateArray().Sum(f => f.GetProperty("value").GetDouble());
        var people = terms["population"].GetProperty("features").EnumerateArray().Sum(f => f.GetProperty("value").GetDouble());
        var units = await service.Db.ScalarAsync<long>("SELECT count(*) FROM population_units u JOIN cities c ON c.id = u.city_id WHERE c.slug = 'rio-de-janeiro'");
        if (units == 0) units = await service.Db.ScalarAsync<long>("SELECT count(*) FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'rio-de-janeiro' AND d.population IS NOT NULL");
        Assert.Equal(units, terms["population"].GetProperty("features").GetArrayLength());
        Assert.Equal(value, Math.Round(100 * reached / people, 2), 1);
        Assert.Equal(r.GetProperty("inputs").GetProperty("withAccess").GetDouble(), reached, 0);
    }
}

/// <summary>RFC 4180 CSV read by the framework's own parser (quoted fields, embedded commas and quotes): rows as
/// header → field maps.</summary>
public static class CsvRows
{
    public static List<Dictionary<string, string>> Parse(string text)
    {
        using var parser = new Microsoft.VisualBasic.FileIO.TextFieldParser(new StringReader(text)) { HasFieldsEnclosedInQuotes = true, TrimWhiteSpace = false };
        parser.SetDelimiters(",");
        var header = parser.ReadFields()!;
        var rows = new List<Dictionary<string, string>>();
        while (!parser.EndOfData)
        {
            var fields = parser.ReadFields()!;
            Assert.Equal(header.Length, fields.Length);
            rows.Add(header.Zip(fields).ToDictionary(x => x.First, x => x.Second, StringComparer.Ordinal));
        }
        return rows;
    }
}
