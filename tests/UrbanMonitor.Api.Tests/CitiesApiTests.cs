using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;

namespace UrbanMonitor.Api.Tests;

/// <summary>A class fixture: one database with the synthetic city loaded, and the service on it.</summary>
public sealed class SyntheticCityService : IAsyncLifetime
{
    public TestDatabase Db { get; } = new();
    public ApiFactory Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        await new DemoLoader(Db.DataSource).LoadSyntheticAsync(2_000, 42);
        Api = new ApiFactory(Db.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null) await Api.DisposeAsync();
        await Db.DisposeAsync();
    }
}

public class CitiesApiTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ListsEachCityWithItsCountsPerLayerAndSources()
    {
        using var client = service.Api.CreateClient();
        using var response = await client.GetAsync("/api/cities", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var city = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("synthetic", city.GetProperty("slug").GetString());
        Assert.Equal("SYN", city.GetProperty("code").GetString());
        var counts = city.GetProperty("counts");
        Assert.Equal(2_000, counts.GetProperty("properties").GetInt64());
        Assert.Equal(4, counts.GetProperty("districts").GetInt64());
        Assert.Equal(3, counts.GetProperty("settlements").GetInt64());
        Assert.True(counts.GetProperty("transit-stops").GetInt64() > 0);
        Assert.Contains("seed 42", city.GetProperty("sources").GetProperty("properties").GetProperty("source").GetString());
        var bbox = city.GetProperty("bbox").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(4, bbox.Length);
        Assert.True(bbox[0] < 69 && bbox[2] > 69, "the synthetic city straddles 69°E");
    }

    [Fact]
    public async Task OneCityIsFoundByItsSlug()
    {
        using var client = service.Api.CreateClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/api/cities/synthetic", Ct));
        Assert.Equal("Synthetic City", doc.RootElement.GetProperty("name").GetString());
        Assert.Equal("/api/cities/synthetic", doc.RootElement.GetProperty("links")[0].GetProperty("href").GetString());
    }

    [Fact]
    public async Task AnUnknownCityIsA404ProblemWithAStableTypeAndAReason()
    {
        using var client = service.Api.CreateClient();
        using var response = await client.GetAsync("/api/cities/atlantis", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("urn:urbanmonitor:problem:city-not-found", doc.RootElement.GetProperty("type").GetString());
        Assert.Contains("atlantis", doc.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ADistrictIsFoundByItsCityAndCodeWithItsFiguresAndLinksThatLeadToIt()
    {
        using var client = service.Api.CreateClient();
        using var list = JsonDocument.Parse(await client.GetStringAsync("/api/cities/synthetic/districts", Ct));
        var districts = list.RootElement.EnumerateArray().ToArray();
        Assert.Equal(4, districts.Length);
        // Each figure against the database, counted here independently.
        var db = service.Db.DataSource;
        foreach (var d in districts)
        {
            var code = d.GetProperty("code").GetString()!;
            await using var cmd = db.CreateCommand("""
                SELECT (SELECT count(*) FROM properties p WHERE p.city_id = c.id AND p.district_code = $1),
                       (SELECT count(*) FROM properties p WHERE p.city_id = c.id AND p.district_code = $1 AND p.status = 'surveyed'),
                       (SELECT count(*) FROM settlements s JOIN districts x ON x.city_id = s.city_id AND x.code = $1
                        WHERE s.city_id = c.id AND ST_Intersects(s.geom, x.geom)),
                       (SELECT ST_Area(x.geom::geography) / 10000 FROM districts x WHERE x.city_id = c.id AND x.code = $1)
                FROM cities c WHERE c.slug = 'synthetic'
                """);
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = code });
            await using var r = await cmd.ExecuteReaderAsync(Ct);
            Assert.True(await r.ReadAsync(Ct));
            var counts = d.GetProperty("counts");
            Assert.Equal(r.GetInt64(0), counts.GetProperty("properties").GetInt64());
            Assert.Equal(r.GetInt64(1), counts.GetProperty("surveyed").GetInt64());
            Assert.Equal(r.GetInt64(2), counts.GetProperty("settlements").GetInt64());
            Assert.Equal(r.GetDouble(3), d.GetProperty("areaHa").GetDouble(), 0.01);
        }
        Assert.Equal(2_000, districts.Sum(d => d.GetProperty("counts").GetProperty("properties").GetInt64()));

        var first = districts[0];
        var firstCode = first.GetProperty("code").GetString()!;
        using var one = JsonDocument.Parse(await client.GetStringAsync($"/api/cities/synthetic/districts/{firstCode}", Ct));
        Assert.Equal(first.GetRawText(), one.RootElement.GetRawText());
        string Link(string rel) => one.RootElement.GetProperty("links").EnumerateArray()
            .First(l => l.GetProperty("rel").GetString() == rel).GetProperty("href").GetString()!;
        Assert.Equal($"/api/cities/synthetic/districts/{firstCode}", Link("self"));

        using var feature = JsonDocument.Parse(await client.GetStringAsync(Link("item"), Ct));
        Assert.Equal(firstCode, feature.RootElement.GetProperty("properties").GetProperty("code").GetString());
        // The properties link is a CQL2 filter the feed answers with exactly the district's parcels.
        using var parcels = JsonDocument.Parse(await client.GetStringAsync(Link("items") + "&limit=10000", Ct));
        var features = parcels.RootElement.GetProperty("features").EnumerateArray().ToArray();
        Assert.Equal(first.GetProperty("counts").GetProperty("properties").GetInt64(), features.Length);
        Assert.All(features, f => Assert.Equal(firstCode, f.GetProperty("properties").GetProperty("district_code").GetString()));
        Assert.Contains(one.RootElement.GetProperty("links").EnumerateArray(),
            l => l.GetProperty("href").GetString() == $"/api/cities/synthetic/districts/{firstCode}/package.gpkg");
    }

    [Theory]
    [InlineData("/api/cities/synthetic/districts/no-such-district", "urn:urbanmonitor:problem:not-found", "no-such-district")]
    [InlineData("/api/cities/atlantis/districts/1", "urn:urbanmonitor:problem:city-not-found", "atlantis")]
    [InlineData("/api/cities/atlantis/districts", "urn:urbanmonitor:problem:city-not-found", "atlantis")]
    public async Task AnUnknownDistrictOrCityIsA404ProblemNamingIt(string url, string type, string named)
    {
        using var client = service.Api.CreateClient();
        using var response = await client.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(type, doc.RootElement.GetProperty("type").GetString());
        Assert.Contains(named, doc.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AnUnknownRouteIsAProblemDocumentToo()
    {
        using var client = service.Api.CreateClient();
        using var response = await client.GetAsync("/api/nothing-here", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("urn:urbanmonitor:problem:not-found", doc.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task HealthAndReadinessAnswer200OnAMigratedDatabase()
    {
        using var client = service.Api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", Ct)).StatusCode);
        using var ready = await client.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var doc = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Healthy", doc.RootElement.GetProperty("checks").GetProperty("migrations").GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheOpenApiDocumentIsServedAtApiAndListsTheCitiesRoutes()
    {
        using var client = service.Api.CreateClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/api", Ct));
        Assert.StartsWith("3.", doc.RootElement.GetProperty("openapi").GetString());
        var paths = doc.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/cities", out _));
        Assert.True(paths.TryGetProperty("/api/cities/{slug}", out _));
        Assert.True(paths.TryGetProperty("/api/cities/{slug}/districts/{code}", out _));
    }
}

public class ReadinessTests(EmptyDatabase db) : IClassFixture<EmptyDatabase>
{
    [Fact]
    public async Task ReadinessIs503WithTheReasonUntilTheDatabaseIsMigrated()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var api = new ApiFactory(db.ConnectionString);
        using var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", ct)).StatusCode);
        using var notReady = await client.GetAsync("/health/ready", ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Contains("0001_core.sql", await notReady.Content.ReadAsStringAsync(ct));

        await UrbanMonitor.Database.Migrator.MigrateAsync(db.ConnectionString, ct);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", ct)).StatusCode);
    }

    [Fact]
    public async Task AnUnreachableDatabaseMakesReadiness503NotACrash()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var api = new ApiFactory("Host=127.0.0.1;Port=1;Database=nowhere;Username=nobody;Timeout=2");
        using var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready", ct)).StatusCode);
    }
}
