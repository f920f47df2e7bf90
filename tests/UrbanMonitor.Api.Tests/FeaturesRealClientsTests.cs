using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;
using static UrbanMonitor.Api.Tests.FeaturesTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>The real demo data (../shared/data) served on a real port, for GDAL and other real clients.</summary>
public sealed class RealDataServer : IAsyncLifetime
{
    public TestDatabase Db { get; } = new();
    public ApiFactory Api { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    public string? SkipReason { get; private set; }

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        var dir = Repo.SharedData;
        if (dir is null || !DemoLoader.HasRealData(dir))
        {
            SkipReason = "../shared/data is not present beside the project.";
            return;
        }
        _ = Db.ConnectionString; // skips when PostGIS is unreachable locally
        await new DemoLoader(Db.DataSource).LoadRealAsync(dir);
        Api = new ApiFactory(Db.ConnectionString);
        Api.UseKestrel(0);
        Api.StartServer();
        var address = Api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal).Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
    }

    /// <summary>Skips locally when the data or GDAL is missing; fails on CI.</summary>
    public void RequireRealDataAndGdal()
    {
        if (SkipReason is not null && PostgisServer.OnCi) Assert.Fail("CI=true and " + SkipReason);
        Assert.SkipWhen(SkipReason is not null, SkipReason ?? "");
        var gdal = File.Exists("/usr/bin/ogrinfo") && File.Exists("/usr/bin/ogr2ogr");
        if (!gdal && PostgisServer.OnCi) Assert.Fail("CI=true and GDAL (gdal-bin) is not installed; ./test.sh installs it.");
        Assert.SkipWhen(!gdal, "GDAL (gdal-bin) is not installed; ./test.sh installs it.");
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null) await Api.DisposeAsync();
        await Db.DisposeAsync();
    }
}

public class FeaturesRealClientsTests(RealDataServer server) : IClassFixture<RealDataServer>
{
    private static readonly Dictionary<string, string?> GdalEnv = new()
    {
        ["GDAL_HTTP_TIMEOUT"] = "60",
        ["CPL_DEBUG"] = "OFF",
    };

    [Fact]
    public async Task OgrinfoListsEveryCollectionAndTheFieldsOfSettlements()
    {
        server.RequireRealDataAndGdal();
        var list = await Repo.RunAsync("ogrinfo", ["-ro", "-q", $"OAPIF:{server.BaseUrl}/"], GdalEnv, TimeSpan.FromMinutes(1));
        Assert.True(list.ExitCode == 0, list.Output);
        foreach (var id in new[] { "properties", "settlements", "districts", "transit-stops" }) Assert.Contains(id, list.Stdout);
        Assert.DoesNotContain("ERROR", list.Output);

        var layer = await Repo.RunAsync("ogrinfo", ["-ro", "-so", $"OAPIF:{server.BaseUrl}/", "settlements"], GdalEnv, TimeSpan.FromMinutes(1));
        Assert.True(layer.ExitCode == 0, layer.Output);
        Assert.Contains("Feature Count: 1074", layer.Stdout);
        foreach (var field in new[] { "code: String", "name: String", "population: Integer", "households: Integer", "surveyed_on: Date" })
            Assert.Contains(field, layer.Stdout);
        Assert.Contains("Data.Rio open data", layer.Stdout); // the licence, in the layer's description
    }

    [Fact]
    public async Task OgrinfoWhereOnCityCountsTheMatchesAndZeroForACityNoFeatureHas()
    {
        server.RequireRealDataAndGdal();
        // GDAL reads the items' query parameters in /api, finds city among the layer's fields, and sends -where "city = '…'"
        // to the server as ?city=…; a value no feature has must give an empty layer, not an HTTP error.
        var rio = await Repo.RunAsync("ogrinfo", ["-ro", "-so", $"OAPIF:{server.BaseUrl}/", "settlements", "-where", "city = 'rio-de-janeiro'"], GdalEnv, TimeSpan.FromMinutes(1));
        Assert.True(rio.ExitCode == 0, rio.Output);
        Assert.Contains($"Feature Count: {await server.Db.ScalarAsync<long>("SELECT count(*) FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'rio-de-janeiro'")}", rio.Stdout);
        foreach (var city in new[] { "atlantis", "Rio-De-Janeiro" })
        {
            var none = await Repo.RunAsync("ogrinfo", ["-ro", "-so", $"OAPIF:{server.BaseUrl}/", "settlements", "-where", $"city = '{city}'"], GdalEnv, TimeSpan.FromMinutes(1));
            Assert.True(none.ExitCode == 0, none.Output);
            Assert.Contains("Feature Count: 0", none.Stdout);
            Assert.DoesNotContain("ERROR", none.Output);
        }
    }

    [Fact]
    public async Task Ogr2ogrCopiesAll1074RioSettlementsIntoAGeoPackageFollowingNextLinks()
    {
        server.RequireRealDataAndGdal();
        var dir = Directory.CreateTempSubdirectory("um-ogr-");
        try
        {
            var gpkg = Path.Combine(dir.FullName, "out.gpkg");
            var copy = await Repo.RunAsync("ogr2ogr", ["-f", "GPKG", gpkg, $"OAPIF:{server.BaseUrl}/", "settlements"], GdalEnv, TimeSpan.FromMinutes(2));
            Assert.True(copy.ExitCode == 0, copy.Output);
            var sql = await Repo.RunAsync("ogrinfo", ["-ro", "-q", gpkg, "-sql", "SELECT count(*) AS n, count(DISTINCT code) AS codes, sum(population) AS people FROM settlements"], timeout: TimeSpan.FromMinutes(1));
            Assert.True(sql.ExitCode == 0, sql.Output);
            Assert.Contains("n (Integer) = 1074", sql.Stdout);
            Assert.Contains("codes (Integer) = 1074", sql.Stdout);
            var people = await server.Db.ScalarAsync<long>("SELECT sum(population) FROM settlements");
            Assert.Contains($"people (Integer64) = {people}", sql.Stdout.Replace("people (Integer) =", "people (Integer64) =", StringComparison.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task EveryCollectionsItemsAndAFeatureValidateAsRfc7946GeoJson()
    {
        server.RequireRealDataAndGdal();
        var checker = Path.Combine(Repo.Root, "tests", "geojson-check");
        var installed = Directory.Exists(Path.Combine(checker, "node_modules", "@placemarkio", "check-geojson"));
        if (!installed && PostgisServer.OnCi) Assert.Fail("CI=true and tests/geojson-check is not installed (./test.sh runs npm ci there).");
        Assert.SkipWhen(!installed, "tests/geojson-check is not installed: run ./test.sh (npm ci).");
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        var dir = Directory.CreateTempSubdirectory("um-geojson-");
        try
        {
            var files = new List<string>();
            foreach (var url in new[]
            {
                "/collections/settlements/items?limit=2000", "/collections/districts/items?limit=1000", "/collections/properties/items?limit=1000",
                "/collections/transit-stops/items?limit=10000", "/collections/settlements/items/1", "/collections/settlements/items?limit=3&properties=",
            })
            {
                var file = Path.Combine(dir.FullName, $"{files.Count}.json");
                await File.WriteAllTextAsync(file, await client.GetStringAsync(url, Ct), Ct);
                files.Add(file);
            }
            var run = await Repo.RunAsync("node", [Path.Combine(checker, "check.js"), .. files], timeout: TimeSpan.FromMinutes(1));
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Equal(files.Count, run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.EndsWith(": valid", StringComparison.Ordinal)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AGeoPackageExportOfAFilteredCollectionOpensInGdalWithEveryFeatureInTheRequestedCrs()
    {
        server.RequireRealDataAndGdal();
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        var dir = Directory.CreateTempSubdirectory("um-gpkg-");
        try
        {
            var gpkg = Path.Combine(dir.FullName, "settlements.gpkg");
            var filter = Uri.EscapeDataString("population > 5000");
            using (var r = await client.GetAsync($"/collections/settlements/export?format=gpkg&crs=EPSG:32723&filter={filter}", Ct))
            {
                Assert.Equal("application/geopackage+sqlite3", r.Content.Headers.ContentType?.MediaType);
                await File.WriteAllBytesAsync(gpkg, await r.Content.ReadAsByteArrayAsync(Ct), Ct);
            }
            var expected = await server.Db.ScalarAsync<long>("SELECT count(*) FROM settlements WHERE population > 5000");
            var people = await server.Db.ScalarAsync<long>("SELECT sum(population) FROM settlements WHERE population > 5000");
            var area = await server.Db.ScalarAsync<double>("SELECT sum(ST_Area(ST_Transform(geom, 32723))) FROM settlements WHERE population > 5000");
            Assert.InRange(expected, 10, 1_073);
            var info = await Repo.RunAsync("ogrinfo", ["-ro", "-so", gpkg, "settlements"], timeout: TimeSpan.FromMinutes(1));
            Assert.True(info.ExitCode == 0, info.Output);
            Assert.Contains($"Feature Count: {expected}", info.Stdout);
            Assert.Contains("UTM zone 23S", info.Stdout);
            Assert.Contains("surveyed_on: Date", info.Stdout);
            var sums = await Repo.RunAsync("ogrinfo", ["-ro", "-q", gpkg, "-dialect", "SQLite", "-sql", "SELECT sum(population) AS people, sum(ST_Area(geom)) AS area FROM settlements"],
                timeout: TimeSpan.FromMinutes(1));
            Assert.True(sums.ExitCode == 0, sums.Output);
            Assert.Contains($"= {people}", sums.Stdout);
            var gdalArea = double.Parse(sums.Stdout.Split("area (Real) = ")[1].Split('\n')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(area, gdalArea, area * 1e-6); // square metres, the same shapes
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AZippedShapefileExportOpensInGdalWithEveryRioSettlementAndItsAttributes()
    {
        server.RequireRealDataAndGdal();
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        var dir = Directory.CreateTempSubdirectory("um-shp-");
        try
        {
            var zip = Path.Combine(dir.FullName, "settlements.shp.zip");
            using (var r = await client.GetAsync("/collections/settlements/export?format=shp&city=rio-de-janeiro", Ct))
            {
                Assert.Equal("application/zip", r.Content.Headers.ContentType?.MediaType);
                await File.WriteAllBytesAsync(zip, await r.Content.ReadAsByteArrayAsync(Ct), Ct);
            }
            var info = await Repo.RunAsync("ogrinfo", ["-ro", "-so", $"/vsizip/{zip}", "settlements"], timeout: TimeSpan.FromMinutes(1));
            Assert.True(info.ExitCode == 0, info.Output);
            Assert.Contains("Feature Count: 1074", info.Stdout);
            Assert.Contains("surveyed_o: Date", info.Stdout); // DBF names are cut to 10 characters
            Assert.Contains("WGS 84", info.Stdout);
            var people = await server.Db.ScalarAsync<long>("SELECT sum(population) FROM settlements");
            var sums = await Repo.RunAsync("ogrinfo", ["-ro", "-q", $"/vsizip/{zip}", "-dialect", "SQLite", "-sql",
                "SELECT CAST(sum(population) AS INTEGER) AS people, count(DISTINCT code) AS codes FROM settlements"], timeout: TimeSpan.FromMinutes(1));
            Assert.True(sums.ExitCode == 0, sums.Output);
            Assert.Contains($"people (Integer64) = {people}", sums.Stdout.Replace("people (Integer) =", "people (Integer64) =", StringComparison.Ordinal));
            Assert.Contains("codes (Integer) = 1074", sums.Stdout);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task DatetimeSelectsSettlementsByTheirSurveyDateAsSqlDoes()
    {
        server.RequireRealDataAndGdal();
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        var dates = await SqlIdsAsync(server.Db, "SELECT count(DISTINCT surveyed_on) FROM settlements");
        Assert.True(dates.Single() >= 1, "the Rio settlements carry survey dates");
        var first = await server.Db.ScalarAsync<string>("SELECT min(surveyed_on)::text FROM settlements");
        var expected = await SqlIdsAsync(server.Db, "SELECT id FROM settlements WHERE surveyed_on <= $1::date ORDER BY city_id, id", first);
        var (features, _) = await AllFeaturesAsync(client, $"/collections/settlements/items?limit=1000&datetime=../{first}");
        Assert.Equal(expected, Ids(features));
        var instant = Ids((await AllFeaturesAsync(client, $"/collections/settlements/items?limit=1000&datetime={first}")).Features);
        Assert.Equal(await SqlIdsAsync(server.Db, "SELECT id FROM settlements WHERE surveyed_on = $1::date ORDER BY city_id, id", first), instant);
        var temporal = Ids((await AllFeaturesAsync(client, $"/collections/settlements/items?limit=1000&filter={Uri.EscapeDataString($"T_BEFORE(surveyed_on, DATE('{first}'))")}")).Features);
        Assert.Empty(temporal);
    }

    [Fact]
    public async Task OgrinfoWhereOnTheSurveyDateCountsWhatSqlCounts()
    {
        server.RequireRealDataAndGdal();
        // GDAL sends a -where on a date field as datetime, a date written with a bare 'T' (datetime=2010-06-01T%2F..).
        foreach (var (where, sql) in new[]
                 {
                     ("surveyed_on >= '2010-06-01'", "surveyed_on >= '2010-06-01'"),
                     ("surveyed_on <= '2010-06-01'", "surveyed_on <= '2010-06-01'"),
                     ("surveyed_on >= '2000-01-01' AND surveyed_on <= '2015-12-31'", "surveyed_on BETWEEN '2000-01-01' AND '2015-12-31'"),
                 })
        {
            var count = await server.Db.ScalarAsync<long>($"SELECT count(*) FROM settlements WHERE {sql}");
            var r = await Repo.RunAsync("ogrinfo", ["-ro", "-so", $"OAPIF:{server.BaseUrl}/", "settlements", "-where", where], GdalEnv, TimeSpan.FromMinutes(1));
            Assert.True(r.ExitCode == 0, r.Output);
            Assert.DoesNotContain("ERROR", r.Output);
            Assert.Contains($"Feature Count: {count}", r.Stdout);
        }
    }
}
