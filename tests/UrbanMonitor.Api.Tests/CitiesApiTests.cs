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
