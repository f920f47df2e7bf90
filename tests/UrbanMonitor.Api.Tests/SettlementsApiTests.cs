using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;

namespace UrbanMonitor.Api.Tests;

public class SettlementsApiTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> GetAsync(string url)
    {
        using var client = service.Api.CreateClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync(url, Ct));
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task ASettlementsMetricsAreInMetresAndMatchPostgisOnTheSpheroid()
    {
        var id = await service.Db.ScalarAsync<long>("SELECT min(id) FROM settlements");
        var a = await GetAsync($"/api/settlements/{id}");
        var m = a.GetProperty("metrics");
        var area = await service.Db.ScalarAsync<double>("SELECT ST_Area(geom::geography) FROM settlements WHERE id = $1", id);
        var perimeter = await service.Db.ScalarAsync<double>("SELECT ST_Perimeter(geom::geography) FROM settlements WHERE id = $1", id);
        Assert.Equal(area, m.GetProperty("areaM2").GetDouble(), 0.1);
        Assert.Equal(perimeter, m.GetProperty("perimeterM").GetDouble(), 0.1);
        Assert.Equal(4 * Math.PI * area / (perimeter * perimeter), m.GetProperty("compactness").GetDouble(), 3);
        var population = a.GetProperty("population").GetInt64();
        Assert.Equal(population / (area / 1e6), m.GetProperty("populationPerKm2").GetDouble(), 0);
        // The generator's parcels under the settlement are counted by status.
        var inside = await service.Db.ScalarAsync<long>(
            "SELECT count(*) FROM properties p, settlements s WHERE s.id = $1 AND ST_Intersects(ST_PointOnSurface(p.geom), s.geom)", id);
        Assert.True(inside > 0);
        Assert.Equal(inside, a.GetProperty("properties").GetProperty("total").GetInt64());
        Assert.Equal(inside, a.GetProperty("properties").GetProperty("byStatus").GetProperty("surveyed").GetInt64());
        var shares = a.GetProperty("districts").EnumerateArray().Sum(d => d.GetProperty("shareOfSettlement").GetDouble());
        Assert.Equal(1.0, shares, 2);
    }

    [Fact]
    public async Task ExposureAndAccessComeFromTheHazardAndStopLayersInStraightLineMetres()
    {
        var id = await service.Db.ScalarAsync<long>("SELECT min(id) FROM settlements");
        // Half the settlement (west of its centroid) is made a landslide zone, so its exposed share is known.
        await service.Db.ScalarAsync<long>("""
            WITH i AS (
              INSERT INTO hazard_zones (city_id, hazard, level, geom)
              SELECT city_id, 'landslide', 'high',
                     ST_Multi(ST_Intersection(geom, ST_MakeEnvelope(ST_XMin(geom) - 1, ST_YMin(geom) - 1, ST_X(ST_Centroid(geom)), ST_YMax(geom) + 1, 4326)))
              FROM settlements WHERE id = $1 RETURNING 1)
            SELECT count(*) FROM i
            """, id);
        var a = await GetAsync($"/api/settlements/{id}");
        var landslide = Assert.Single(a.GetProperty("exposure").EnumerateArray(), e => e.GetProperty("hazard").GetString() == "landslide");
        var expected = await service.Db.ScalarAsync<double>("""
            SELECT ST_Area(ST_Intersection(h.geom, s.geom)::geography) / ST_Area(s.geom::geography)
            FROM settlements s, hazard_zones h WHERE s.id = $1 AND h.hazard = 'landslide'
            """, id);
        Assert.Equal(expected, landslide.GetProperty("shareOfArea").GetDouble(), 3);
        Assert.InRange(expected, 0.3, 0.7);

        var transit = a.GetProperty("access").GetProperty("transit");
        var nearest = await service.Db.ScalarAsync<double>(
            "SELECT min(ST_Distance(t.geom::geography, s.geom::geography)) FROM transit_stops t, settlements s WHERE s.id = $1", id);
        Assert.Equal(nearest, transit.GetProperty("nearestStopM").GetDouble(), 0.1);
        Assert.InRange(transit.GetProperty("shareWithin500m").GetDouble(), 0, 1);
        Assert.True(transit.GetProperty("shareWithin1km").GetDouble() >= transit.GetProperty("shareWithin500m").GetDouble());
        Assert.Contains("straight-line", a.GetProperty("access").GetProperty("method").GetString());
        Assert.True(a.GetProperty("access").GetProperty("facilities").TryGetProperty("school", out _));
    }

    [Fact]
    public async Task ASettlementWithoutPopulationSaysSoInsteadOfDividingByZero()
    {
        var id = await service.Db.ScalarAsync<long>("SELECT max(id) FROM settlements");
        await service.Db.ScalarAsync<long>("WITH u AS (UPDATE settlements SET population = NULL, households = NULL WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", id);
        var m = (await GetAsync($"/api/settlements/{id}")).GetProperty("metrics");
        Assert.Equal(JsonValueKind.Null, m.GetProperty("populationPerKm2").ValueKind);
        Assert.Equal(JsonValueKind.Null, m.GetProperty("householdsPerHa").ValueKind);
        Assert.Contains("No population", m.GetProperty("note").GetString());
    }

    [Fact]
    public async Task UnknownSettlementsAndCitiesAre404Problems()
    {
        using var client = service.Api.CreateClient();
        using var missing = await client.GetAsync("/api/settlements/987654321", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/cities/atlantis/settlements/summary", Ct)).StatusCode);
    }
}

public class RioSettlementsTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task RiosSummaryGivesThePeopleInFavelasAndTheirShareOfTheCityAsTheTwoLayersDo()
    {
        var dir = Repo.SharedData;
        if (dir is null && PostgisServer.OnCi) Assert.Fail("CI=true and ../shared/data is missing.");
        Assert.SkipWhen(dir is null, "../shared/data is not present beside the project.");
        var ct = TestContext.Current.CancellationToken;
        await new DemoLoader(db.DataSource).LoadRealAsync(dir!, ct);
        await using var api = new ApiFactory(db.ConnectionString);
        using var client = api.CreateClient();

        using var summary = JsonDocument.Parse(await client.GetStringAsync("/api/cities/rio-de-janeiro/settlements/summary", ct));
        var s = summary.RootElement;
        Assert.Equal(1_074, s.GetProperty("settlements").GetInt64());
        Assert.Equal(1_434_829, s.GetProperty("population").GetInt64());
        Assert.Equal(6_282_227, s.GetProperty("cityPopulation").GetInt64());
        Assert.Equal(Math.Round(1_434_829.0 / 6_282_227, 4), s.GetProperty("shareOfCityPopulation").GetDouble());
        var apportioned = s.GetProperty("districts").EnumerateArray()
            .Select(d => d.GetProperty("settlementPopulation")).Where(p => p.ValueKind == JsonValueKind.Number).Sum(p => p.GetDouble());
        Assert.InRange(apportioned, 1_434_829 * 0.999, 1_434_829 * 1.001);

        // Each settlement's area is PostGIS's geodesic area (a sample of 25 through the API).
        var ids = new List<long>();
        await using (var cmd = db.DataSource.CreateCommand("SELECT s.id FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'rio-de-janeiro' ORDER BY md5(s.code) LIMIT 25"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) ids.Add(r.GetInt64(0));
        foreach (var id in ids)
        {
            using var a = JsonDocument.Parse(await client.GetStringAsync($"/api/settlements/{id}", ct));
            var expected = await db.ScalarAsync<double>("SELECT ST_Area(geom::geography) FROM settlements WHERE id = $1", id);
            Assert.InRange(a.RootElement.GetProperty("metrics").GetProperty("areaM2").GetDouble(), expected * 0.999, expected * 1.001);
        }

        var rocinha = await db.ScalarAsync<long>("SELECT id FROM settlements WHERE name = 'Rocinha'");
        using var ro = JsonDocument.Parse(await client.GetStringAsync($"/api/settlements/{rocinha}", ct));
        var main = ro.RootElement.GetProperty("districts")[0];
        Assert.Equal("154", main.GetProperty("code").GetString());
        Assert.True(main.GetProperty("shareOfSettlement").GetDouble() > 0.9);
        Assert.Equal(69_156, ro.RootElement.GetProperty("population").GetInt64());

        // SDG 11.1.1 for Rio is the favela population over the neighbourhoods' population, straight from the two layers.
        using var slum = JsonDocument.Parse(await client.GetStringAsync("/api/indicators/11.1.1?city=rio-de-janeiro", ct));
        Assert.Equal(Math.Round(100.0 * 1_434_829 / 6_282_227, 2), slum.RootElement.GetProperty("value").GetDouble());
        // Rio has no built-up layer: 11.3.1 says why instead of giving a number.
        using var land = JsonDocument.Parse(await client.GetStringAsync("/api/indicators/11.3.1?city=rio-de-janeiro", ct));
        Assert.Equal(JsonValueKind.Null, land.RootElement.GetProperty("value").ValueKind);
        Assert.Contains("built-up", land.RootElement.GetProperty("reason").GetString());
        // 11.2.1 for one neighbourhood (Rocinha) with the real stops, stating its method.
        using var access = JsonDocument.Parse(await client.GetStringAsync("/api/indicators/11.2.1?city=rio-de-janeiro&district=154", ct));
        Assert.InRange(access.RootElement.GetProperty("value").GetDouble(), 50, 100);
        Assert.Contains("Straight-line", access.RootElement.GetProperty("method").GetString());
    }
}
