using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

public class IndicatorsApiTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<JsonElement> GetAsync(string url) => service.Api.GetOkJsonAsync(url);

    [Fact]
    public async Task TheListGivesEachIndicatorsDefinitionFormulaUnitAndMethod()
    {
        var list = (await GetAsync("/api/indicators")).GetProperty("indicators").EnumerateArray().ToList();
        Assert.Equal(["11.1.1", "11.2.1", "11.3.1", "11.7.1", "registration-coverage", "tenure-security", "population-density", "built-up-density",
             "service-charge-revenue", "service-charge-collection-rate", "service-charge-change"],
            list.Select(i => i.GetProperty("code").GetString()));
        Assert.All(list, i => Assert.False(string.IsNullOrEmpty(i.GetProperty("formula").GetString())));
        Assert.All(list, i => Assert.False(string.IsNullOrEmpty(i.GetProperty("methodVersion").GetString())));
    }

    [Fact]
    public async Task SlumPopulationShareIsSettlementPopulationOverTheDistrictsPopulation()
    {
        var r = await GetAsync("/api/indicators/11.1.1?city=synthetic");
        var expected = await service.Db.ScalarAsync<double>(
            "SELECT 100.0 * (SELECT sum(population) FROM settlements) / (SELECT sum(population) FROM districts)");
        Assert.Equal(Math.Round(expected, 2), r.GetProperty("value").GetDouble());
        Assert.Equal("%", r.GetProperty("unit").GetString());
        Assert.True(r.GetProperty("inputs").GetProperty("settlementPopulation").GetDouble() > 0);
    }

    [Fact]
    public async Task LandConsumptionComparesTheTwoBuiltUpEpochsWithPopulationGrowth()
    {
        var r = await GetAsync("/api/indicators/11.3.1?city=synthetic");
        var a0 = await service.Db.ScalarAsync<double>("SELECT ST_Area(geom::geography) FROM built_up WHERE epoch = 2005");
        var a1 = await service.Db.ScalarAsync<double>("SELECT ST_Area(geom::geography) FROM built_up WHERE epoch = 2020");
        var expected = Math.Log(a1 / a0) / Math.Log(5.0 / 3.0);
        Assert.Equal(expected, r.GetProperty("value").GetDouble(), 3);
        Assert.Equal(2005, r.GetProperty("inputs").GetProperty("first").GetInt32());
        Assert.True(r.GetProperty("inputs").GetProperty("builtUpPerPersonEndM2").GetDouble() > 0);
    }

    [Fact]
    public async Task OpenSpaceShareIsTheParksInsideTheLatestBuiltUpExtent()
    {
        var r = await GetAsync("/api/indicators/11.7.1?city=synthetic");
        var expected = await service.Db.ScalarAsync<double>("""
            SELECT 100 * ST_Area(ST_Intersection((SELECT ST_Union(geom) FROM open_spaces), b.geom)::geography) / ST_Area(b.geom::geography)
            FROM built_up b WHERE epoch = 2020
            """);
        Assert.InRange(r.GetProperty("value").GetDouble(), expected * 0.99, expected * 1.01);
        Assert.True(expected > 0);
        Assert.Contains("2020", r.GetProperty("inputs").GetProperty("builtUpSource").GetString());
        Assert.InRange(r.GetProperty("inputs").GetProperty("populationWithin400mShare").GetDouble(), 1, 100);
    }

    [Fact]
    public async Task TransitAccessSaysItsMethodAndLeavesOutStopsWithoutPeakService()
    {
        var before = await GetAsync("/api/indicators/11.2.1?city=synthetic");
        // The synthetic city has a streets layer and the test server pgRouting: walking distances along the streets.
        Assert.Equal("network", before.GetProperty("inputs").GetProperty("routing").GetString());
        Assert.Contains("along the streets layer", before.GetProperty("method").GetString());
        var value = before.GetProperty("value").GetDouble();
        Assert.InRange(value, 1, 100);
        // Stops that run no peak-hour service no longer count: with none left, nobody has access.
        await service.Db.ScalarAsync<long>("WITH u AS (UPDATE transit_stops SET peak_departures = 0 RETURNING 1) SELECT count(*) FROM u");
        try
        {
            var after = await GetAsync("/api/indicators/11.2.1?city=synthetic");
            Assert.Equal(0, after.GetProperty("value").GetDouble());
            Assert.True(after.GetProperty("inputs").GetProperty("stopsWithoutPeakService").GetInt64() > 0);
        }
        finally
        {
            await service.Db.ScalarAsync<long>("WITH u AS (UPDATE transit_stops SET peak_departures = NULL RETURNING 1) SELECT count(*) FROM u");
        }
    }

    [Fact]
    public async Task RegistrationCoverageCountsRegisteredAmongActiveProperties()
    {
        await service.Db.ScalarAsync<long>("WITH u AS (UPDATE properties SET status = 'registered' WHERE id IN (SELECT id FROM properties ORDER BY id LIMIT 50) RETURNING 1) SELECT count(*) FROM u");
        var r = await GetAsync("/api/indicators/registration-coverage?city=synthetic");
        Assert.Equal(Math.Round(100 * 50.0 / 2000, 2), r.GetProperty("value").GetDouble());
        var d = await GetAsync("/api/indicators/registration-coverage?city=synthetic&district=1");
        Assert.Equal("1", d.GetProperty("district").GetString());
    }

    [Fact]
    public async Task TransitAccessExplainListsEachUnitAndAddsUpToTheValue()
    {
        var r = await GetAsync("/api/indicators/11.2.1?city=synthetic");
        var e = await GetAsync("/api/indicators/11.2.1/explain?city=synthetic");
        var terms = e.GetProperty("terms").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        double Sum(string term) => terms[term].GetProperty("features").EnumerateArray().Sum(f => f.GetProperty("value").GetDouble());
        Assert.Equal(await service.Db.ScalarAsync<long>("SELECT count(*) FROM population_units"), terms["population"].GetProperty("features").GetArrayLength());
        Assert.Equal(r.GetProperty("value").GetDouble(), Math.Round(100 * Sum("populationWithAccess") / Sum("population"), 2), 1);
        Assert.Equal("11.2.1/3", r.GetProperty("provenance").GetProperty("methodVersion").GetString());
        Assert.Contains(r.GetProperty("provenance").GetProperty("layers").EnumerateArray(), l => l.GetProperty("layer").GetString() == "transit-stops");
        Assert.Equal(500, r.GetProperty("provenance").GetProperty("parameters").GetProperty("lowCapacityReachM").GetDouble());
    }

    [Fact]
    public async Task SlumExplainForADistrictApportionsSettlementsAndAddsUp()
    {
        var r = await GetAsync("/api/indicators/11.1.1?city=synthetic&district=1");
        var e = await GetAsync("/api/indicators/11.1.1/explain?city=synthetic&district=1");
        var terms = e.GetProperty("terms").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        double Sum(string term) => terms[term].GetProperty("features").EnumerateArray().Sum(f => f.GetProperty("value").GetDouble());
        Assert.Single(terms["urbanPopulation"].GetProperty("features").EnumerateArray());
        if (r.GetProperty("value").ValueKind == JsonValueKind.Number)
            Assert.Equal(r.GetProperty("value").GetDouble(), Math.Round(100 * Sum("settlementPopulation") / Sum("urbanPopulation"), 2), 2);
    }

    [Fact]
    public async Task CsvExportParsesWithOneRowAndTheValue()
    {
        var json = await GetAsync("/api/indicators/11.1.1?city=synthetic");
        using var client = service.Api.CreateClient();
        using var response = await client.GetAsync("/api/indicators/11.1.1?city=synthetic&format=csv", Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var row = Assert.Single(CsvRows.Parse(await response.Content.ReadAsStringAsync(Ct)));
        Assert.Equal("11.1.1", row["code"]);
        Assert.Equal(json.GetProperty("value").GetDouble(), double.Parse(row["value"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("settlements@", row["layers"]);
        using var inputs = JsonDocument.Parse(row["inputs"]);
        Assert.True(inputs.RootElement.GetProperty("settlementPopulation").GetDouble() > 0);
    }

    [Fact]
    public async Task SeriesGivesLandConsumptionForEachPairOfEpochs()
    {
        var s = await GetAsync("/api/indicators/11.3.1/series?city=synthetic");
        var point = s.GetProperty("points").EnumerateArray().Last();
        Assert.Equal(2020, point.GetProperty("year").GetInt32());
        Assert.Equal(2005, point.GetProperty("fromYear").GetInt32());
        var now = await GetAsync("/api/indicators/11.3.1?city=synthetic");
        Assert.Equal(now.GetProperty("value").GetDouble(), point.GetProperty("value").GetDouble(), 3);
    }

    [Fact]
    public async Task ImpossibleInputsGiveAReasonNotANumber()
    {
        // A town with one district and no population, and one built-up epoch.
        await service.Db.ScalarAsync<int>("""
            WITH c AS (INSERT INTO cities (slug, code, name, country) VALUES ('empty-town', 'EMT', 'Empty Town', 'Nowhere') RETURNING id),
            d AS (INSERT INTO districts (city_id, code, name, geom) SELECT id, '1', 'One', ST_Multi(ST_MakeEnvelope(10, 10, 10.01, 10.01, 4326)) FROM c),
            b AS (INSERT INTO built_up (city_id, epoch, geom) SELECT id, 2020, ST_Multi(ST_MakeEnvelope(10, 10, 10.005, 10.005, 4326)) FROM c)
            SELECT id FROM c
            """);
        foreach (var (code, reason) in new[] { ("11.1.1", "No urban population"), ("11.3.1", "Only one built-up epoch"), ("11.2.1", "No population"),
                                               ("population-density", "No population"), ("registration-coverage", "No active properties") })
        {
            var r = await GetAsync($"/api/indicators/{code}?city=empty-town");
            Assert.Equal(JsonValueKind.Null, r.GetProperty("value").ValueKind);
            Assert.Contains(reason, r.GetProperty("reason").GetString());
        }
        await service.Db.ScalarAsync<int>("INSERT INTO city_population (city_id, year, population) SELECT id, y, 1000 FROM cities, (VALUES (2010), (2020)) v(y) WHERE slug = 'empty-town' RETURNING 1");
        await service.Db.ScalarAsync<int>("INSERT INTO built_up (city_id, epoch, geom) SELECT id, 2010, ST_Multi(ST_MakeEnvelope(10, 10, 10.002, 10.002, 4326)) FROM cities WHERE slug = 'empty-town' RETURNING 1");
        var flat = await GetAsync("/api/indicators/11.3.1?city=empty-town");
        Assert.Equal(JsonValueKind.Null, flat.GetProperty("value").ValueKind);
        Assert.Contains("did not change", flat.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("/api/indicators/9.9.9?city=synthetic", 404)]
    [InlineData("/api/indicators/11.1.1", 400)]
    [InlineData("/api/indicators/11.1.1?city=atlantis", 404)]
    [InlineData("/api/indicators/11.1.1?city=synthetic&district=99", 404)]
    [InlineData("/api/indicators/11.2.1?city=synthetic&at=2020-01-01", 400)]
    public async Task BadRequestsAreProblems(string url, int status)
    {
        using var client = service.Api.CreateClient();
        using var response = await client.GetAsync(url, Ct);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
