using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// River Town, built in UTM zone 36N (EPSG:32636) in metres from (500000, 100000): a river along y = 1000 that only a
/// bridge at x = 1900 crosses. South bank street y = 900, north bank street y = 1100, bridge x = 1900 from 900 to 1100;
/// short side streets make nodes at (100, 900)–(100, 950), (100, 1100)–(100, 1110), (400, 900)–(400, 905) and
/// (800, 900)–(800, 905). One low-capacity stop at (100, 900). Three 10 m population units:
/// A (north bank, point (100, 1115), 1,000 people), B (south, (400, 910), 3,000) and C (south, (800, 910), 2,000).
/// </summary>
public sealed class RiverTownService : IAsyncLifetime
{
    public TestDatabase Db { get; } = new();
    public ApiFactory Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        await Db.ScalarAsync<int>("""
            WITH c AS (INSERT INTO cities (slug, code, name, country) VALUES ('river-town', 'RVT', 'River Town', 'Nowhere') RETURNING id),
            g(kind, name, value, wkt) AS (VALUES
                ('district', '1', 6000, 'POLYGON((0 0,2000 0,2000 2000,0 2000,0 0))'),
                ('street', 'south bank', 0, 'LINESTRING(0 900,2000 900)'),
                ('street', 'north bank', 0, 'LINESTRING(0 1100,2000 1100)'),
                ('street', 'bridge', 0, 'LINESTRING(1900 900,1900 1100)'),
                ('street', 'side a', 0, 'LINESTRING(100 900,100 950)'),
                ('street', 'side a north', 0, 'LINESTRING(100 1100,100 1110)'),
                ('street', 'side b', 0, 'LINESTRING(400 900,400 905)'),
                ('street', 'side c', 0, 'LINESTRING(800 900,800 905)'),
                ('stop', 'S', 0, 'POINT(100 900)'),
                ('unit', 'A', 1000, 'POLYGON((95 1110,105 1110,105 1120,95 1120,95 1110))'),
                ('unit', 'B', 3000, 'POLYGON((395 905,405 905,405 915,395 915,395 905))'),
                ('unit', 'C', 2000, 'POLYGON((795 905,805 905,805 915,795 915,795 905))')),
            geo AS (SELECT kind, name, value, ST_Transform(ST_Translate(ST_GeomFromText(wkt, 32636), 500000, 100000), 4326) AS geom FROM g),
            d AS (INSERT INTO districts (city_id, code, name, population, geom) SELECT c.id, name, 'One', value, ST_Multi(geom) FROM c, geo WHERE kind = 'district'),
            s AS (INSERT INTO streets (city_id, name, geom) SELECT c.id, name, ST_Multi(geom) FROM c, geo WHERE kind = 'street'),
            t AS (INSERT INTO transit_stops (city_id, code, capacity, mode, geom) SELECT c.id, name, 'low', 'bus', geom FROM c, geo WHERE kind = 'stop'),
            u AS (INSERT INTO population_units (city_id, code, population, geom) SELECT c.id, name, value, ST_Multi(geom) FROM c, geo WHERE kind = 'unit')
            SELECT id FROM c
            """);
        Api = new ApiFactory(Db.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null) await Api.DisposeAsync();
        await Db.DisposeAsync();
    }
}

/// <summary>SDG 11.2.1 along the street network (pgRouting) against straight lines, on River Town.</summary>
public class IndicatorsNetworkTests(RiverTownService service) : IClassFixture<RiverTownService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<JsonElement> GetAsync(string url) => service.Api.GetOkJsonAsync(url);

    [Fact]
    public async Task AlongTheStreetsTheOtherBankIsOutOfReachThoughItIsCloseInAStraightLine()
    {
        // pgRouting is a Debian package that ./test.sh installs; the migration created the extension.
        Assert.False(string.IsNullOrEmpty(await service.Db.ScalarAsync<string>("SELECT coalesce((SELECT extversion FROM pg_extension WHERE extname = 'pgrouting'), '')")));

        var r = await GetAsync("/api/indicators/11.2.1/explain?city=river-town");
        var result = r.GetProperty("result");
        Assert.Equal("network", result.GetProperty("inputs").GetProperty("routing").GetString());
        Assert.Contains("pgRouting", result.GetProperty("method").GetString());
        // By hand: B is 300 m east along the south street plus two 5 m connectors = 310 m; A is 1,800 + 200 + 1,800 + 10
        // + 5 = 3,815 m away across the bridge; C is 710 m. Only B (3,000 of 6,000 people) is within 500 m.
        Assert.Equal(50, result.GetProperty("value").GetDouble());
        var units = r.GetProperty("terms").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "populationWithAccess")
            .GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("code").GetString()!);
        Assert.Equal(0, units["A"].GetProperty("value").GetDouble());
        Assert.Equal(3000, units["B"].GetProperty("value").GetDouble());
        Assert.Equal(0, units["C"].GetProperty("value").GetDouble());
        Assert.Equal(310, units["B"].GetProperty("details").GetProperty("walkM").GetDouble(), 0);

        // The same question in straight lines: A (215 m over the water) and B are inside the 500 m circle, C is not:
        // 4,000 of 6,000 people.
        var straight = await service.Db.ScalarAsync<double>("""
            SELECT 100 * sum(u.population * ST_Area(ST_Intersection(ST_Transform(u.geom, 32636), ST_Buffer(ST_Transform(s.geom, 32636), 500, 'quad_segs=8')))
                           / ST_Area(ST_Transform(u.geom, 32636))) / sum(u.population)
            FROM population_units u, transit_stops s
            """);
        Assert.Equal(66.67, Math.Round(straight, 2));

        // The noded graph is kept per city: 13 edges between 14 nodes (the south street cut at x = 100, 400, 800 and 1900,
        // the north one at 100 and 1900, the bridge and four side streets), and not rebuilt while the streets stay as they are.
        const string Graph = "SELECT edges || ' ' || nodes || ' ' || built_at FROM street_graphs g JOIN cities c ON c.id = g.city_id WHERE c.slug = 'river-town'";
        var graph = await service.Db.ScalarAsync<string>(Graph);
        Assert.StartsWith("13 14 ", graph);
        await GetAsync("/api/indicators/11.2.1?city=river-town");
        Assert.Equal(graph, await service.Db.ScalarAsync<string>(Graph));
        // A footbridge at x = 150 brings A within 50 + 200 + 50 + 10 + 5 = 315 m: 4,000 of 6,000 people. The graph is rebuilt.
        await service.Db.ScalarAsync<int>("""
            INSERT INTO streets (city_id, name, geom)
            SELECT id, 'footbridge', ST_Multi(ST_Transform(ST_GeomFromText('LINESTRING(500150 100900,500150 101100)', 32636), 4326))
            FROM cities WHERE slug = 'river-town' RETURNING 1
            """);
        var bridged = await GetAsync("/api/indicators/11.2.1?city=river-town");
        Assert.Equal(66.67, bridged.GetProperty("value").GetDouble());
        Assert.StartsWith("16 16 ", await service.Db.ScalarAsync<string>(Graph));
        await service.Db.ScalarAsync<int>("DELETE FROM streets WHERE name = 'footbridge' RETURNING 1");

        // Without pgRouting in the database the indicator falls back to straight lines and says why.
        await service.Db.ScalarAsync<int>("DROP EXTENSION pgrouting; SELECT 1");
        var fallback = await GetAsync("/api/indicators/11.2.1?city=river-town");
        Assert.Equal("straight-line", fallback.GetProperty("inputs").GetProperty("routing").GetString());
        Assert.Contains("not installed", fallback.GetProperty("inputs").GetProperty("routingFallback").GetString());
        Assert.Contains("Straight line because", fallback.GetProperty("method").GetString());
        Assert.Equal(Math.Round(straight, 2), fallback.GetProperty("value").GetDouble());
    }
}
