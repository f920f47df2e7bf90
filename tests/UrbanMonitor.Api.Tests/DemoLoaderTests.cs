using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;

namespace UrbanMonitor.Api.Tests;

/// <summary>The demo loader's smoke test on the real data sets in ../shared/data.</summary>
public class RealDemoLoaderTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static string DataDir()
    {
        var dir = Repo.SharedData;
        if (dir is null && PostgisServer.OnCi) Assert.Fail("CI=true and ../shared/data is missing.");
        Assert.SkipWhen(dir is null || !DemoLoader.HasRealData(dir), "../shared/data is not present beside the project.");
        return dir!;
    }

    [Fact]
    public async Task LoadsRioAndMazarWithTheirRealCountsSourcesAndPopulation()
    {
        var dir = DataDir();
        var ct = TestContext.Current.CancellationToken;
        var results = await new DemoLoader(db.DataSource).LoadRealAsync(dir, ct);
        Assert.Contains(results, r => r.Slug == "rio-de-janeiro" && !r.AlreadyLoaded);

        async Task<long> Count(string table, string slug) =>
            await db.ScalarAsync<long>($"SELECT count(*) FROM {table} t JOIN cities c ON c.id = t.city_id WHERE c.slug = $1", slug);

        Assert.Equal(1_074, await Count("settlements", "rio-de-janeiro"));
        Assert.Equal(165, await Count("districts", "rio-de-janeiro"));
        Assert.Equal(157, await Count("properties", "mazar-e-sharif"));
        Assert.Equal(10, await Count("districts", "mazar-e-sharif"));

        // Neighbourhood population joined from the social development layer on the numeric codbairro: 5 have none.
        Assert.Equal(5, await db.ScalarAsync<long>(
            "SELECT count(*) FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'rio-de-janeiro' AND d.population IS NULL"));
        Assert.Equal(6_282_227, await db.ScalarAsync<long>(
            "SELECT sum(population) FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'rio-de-janeiro'"));
        Assert.Equal(3_178, await db.ScalarAsync<long>(
            "SELECT population FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'rio-de-janeiro' AND d.code = '013'"));
        Assert.Equal(1_434_829, await db.ScalarAsync<long>(
            "SELECT sum(population) FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'rio-de-janeiro'"));
        Assert.Equal(440_504, await db.ScalarAsync<long>(
            "SELECT sum(households) FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'rio-de-janeiro'"));

        Assert.Equal(7_752, await db.ScalarAsync<long>(
            "SELECT count(*) FROM transit_stops t JOIN cities c ON c.id = t.city_id WHERE c.slug = 'rio-de-janeiro' AND capacity = 'low'"));
        Assert.Equal(41, await db.ScalarAsync<long>(
            "SELECT count(*) FROM transit_stops t JOIN cities c ON c.id = t.city_id WHERE c.slug = 'rio-de-janeiro' AND capacity = 'high'"));

        // Nairobi's matatu stops carry their weekday peak-hour departures from the GTFS feed.
        Assert.Equal(4_273, await db.ScalarAsync<long>(
            "SELECT count(*) FROM transit_stops t JOIN cities c ON c.id = t.city_id WHERE c.slug = 'nairobi' AND peak_departures IS NOT NULL"));
        Assert.True(await db.ScalarAsync<long>(
            "SELECT count(*) FROM transit_stops t JOIN cities c ON c.id = t.city_id WHERE c.slug = 'nairobi' AND peak_departures > 0") > 4_000);

        // Mazar parcels: codes from Block_Numb and Parcel_ID, status surveyed, geometry valid and where Mazar is.
        Assert.Equal("surveyed", await db.ScalarAsync<string>("SELECT status FROM properties WHERE code = 'MZR-1-15-22'"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE NOT ST_IsValid(geom)"));
        Assert.Equal(157, await db.ScalarAsync<long>("""
            SELECT count(*) FROM properties p JOIN districts d ON d.city_id = p.city_id AND d.code = '1'
            WHERE ST_Intersects(p.geom, d.geom)
            """));
        var area = await db.ScalarAsync<double>("SELECT ST_Area(geom::geography) FROM properties WHERE code = 'MZR-1-15-22'");
        Assert.InRange(area, 200, 265); // the survey's own Shape_Area is 231.8 m²

        // Every layer keeps its source and licence.
        Assert.Equal(0, await db.ScalarAsync<long>("""
            SELECT count(*) FROM (VALUES ('rio-de-janeiro','districts'),('rio-de-janeiro','settlements'),('rio-de-janeiro','transit-stops'),
                                         ('mazar-e-sharif','districts'),('mazar-e-sharif','properties')) v(slug, layer)
            WHERE NOT EXISTS (SELECT 1 FROM layer_sources l JOIN cities c ON c.id = l.city_id
                              WHERE c.slug = v.slug AND l.layer = v.layer AND l.licence <> '' AND l.source <> '')
            """));
        Assert.Equal("CC BY-NC 3.0", await db.ScalarAsync<string>(
            "SELECT licence FROM layer_sources l JOIN cities c ON c.id = l.city_id WHERE c.slug = 'mazar-e-sharif' AND layer = 'districts'"));

        // A second run finds every city there and changes nothing.
        var again = await new DemoLoader(db.DataSource).LoadRealAsync(dir, ct);
        Assert.All(again, r => Assert.True(r.AlreadyLoaded));
        Assert.Equal(1_074, await Count("settlements", "rio-de-janeiro"));
    }
}

public class SyntheticDemoLoaderTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task ACancelledLoadLeavesNothingVisibleAndCanBeRerun()
    {
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var progress = new SyncProgress(message => { if (message.Contains("loading properties", StringComparison.Ordinal)) cts.CancelAfter(50); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new DemoLoader(db.DataSource, progress).LoadSyntheticAsync(200_000, 5, cts.Token));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM cities WHERE slug = 'synthetic'"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM properties"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM districts"));

        var result = await new DemoLoader(db.DataSource).LoadSyntheticAsync(10_000, 42, ct);
        Assert.False(result.AlreadyLoaded);
        Assert.Equal(10_000, result.Counts["properties"]);
        Assert.Equal(10_000, await db.ScalarAsync<long>("SELECT count(*) FROM properties p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'synthetic'"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE NOT ST_IsValid(geom)"));

        // Neighbouring parcels share edges but never overlap (checked in metres by PostGIS).
        Assert.Equal(0, await db.ScalarAsync<long>("""
            SELECT count(*) FROM properties a JOIN properties b ON a.city_id = b.city_id AND a.id < b.id AND a.geom && b.geom
            WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 0.01
            """));
        Assert.Equal(10_000, await db.ScalarAsync<long>("""
            SELECT count(*) FROM properties p JOIN districts d ON d.city_id = p.city_id AND d.code = p.district_code
            WHERE ST_Within(p.geom, d.geom)
            """));
        foreach (var table in new[] { "streets", "open_spaces", "built_up", "population_units", "facilities", "hazard_zones" })
            Assert.True(await db.ScalarAsync<long>($"SELECT count(*) FROM {table}") > 0, table);
        Assert.Equal(10_000 * 5, await db.ScalarAsync<long>("SELECT sum(population) FROM population_units"));
        Assert.Equal(0, await db.ScalarAsync<long>("""
            SELECT count(*) FROM open_spaces o JOIN properties p ON p.city_id = o.city_id AND p.geom && o.geom
            WHERE ST_Area(ST_Intersection(p.geom, o.geom)::geography) > 0.01
            """));
        var rerun = await new DemoLoader(db.DataSource).LoadSyntheticAsync(10_000, 42, ct);
        Assert.True(rerun.AlreadyLoaded);
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
