using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace UrbanMonitor.Api.Tests;

/// <summary>HTTP behaviour every read resource shares (Hosting/HttpBasics.cs): HEAD, NUL in the query, bare status codes.</summary>
public class HttpBasicsTests(SyntheticTilesService service) : IClassFixture<SyntheticTilesService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpResponseMessage Response, byte[] Body)> SendAsync(HttpMethod method, string url, string? accept = null)
    {
        _ = service.Db.ConnectionString; // skips when PostGIS is unreachable (not on CI)
        using var client = service.Api.CreateClient();
        using var request = new HttpRequestMessage(method, url);
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        var response = await client.SendAsync(request, Ct);
        return (response, await response.Content.ReadAsByteArrayAsync(Ct));
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        var problem = doc.RootElement.Clone();
        Assert.StartsWith("urn:urbanmonitor:problem:", problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.TryGetProperty("detail", out var d) ? d.GetString() : null), $"no reason given: {body}");
        return problem;
    }

    /// <summary>A web map on another origin (a GIS team's OpenLayers page) reads the feeds, with a token too; it
    /// cannot write: the preflight of a POST is answered without the grant.</summary>
    [Fact]
    public async Task ReadsAreSharedWithEveryOriginAndWritesAreNot()
    {
        _ = service.Db.ConnectionString;
        using var client = service.Api.CreateClient();
        const string Origin = "https://maps.example.org";
        foreach (var url in new[] { "/collections/properties/items?limit=2", "/api/cities", "/collections/nothing/items" })
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, url);
            get.Headers.Add("Origin", Origin);
            using var response = await client.SendAsync(get, Ct);
            Assert.True(response.Headers.TryGetValues("Access-Control-Allow-Origin", out var allowed), $"GET {url}: no Access-Control-Allow-Origin");
            Assert.Equal("*", Assert.Single(allowed));
        }

        using var readPreflight = new HttpRequestMessage(HttpMethod.Options, "/collections/properties/items");
        readPreflight.Headers.Add("Origin", Origin);
        readPreflight.Headers.Add("Access-Control-Request-Method", "GET");
        readPreflight.Headers.Add("Access-Control-Request-Headers", "authorization");
        using (var answer = await client.SendAsync(readPreflight, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
            Assert.Equal("*", Assert.Single(answer.Headers.GetValues("Access-Control-Allow-Origin")));
            Assert.Contains("authorization", string.Join(",", answer.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);
        }

        using var writePreflight = new HttpRequestMessage(HttpMethod.Options, "/api/properties");
        writePreflight.Headers.Add("Origin", Origin);
        writePreflight.Headers.Add("Access-Control-Request-Method", "POST");
        using (var answer = await client.SendAsync(writePreflight, Ct))
            Assert.False(answer.Headers.Contains("Access-Control-Allow-Methods") && answer.Headers.GetValues("Access-Control-Allow-Methods").Any(m => m.Contains("POST", StringComparison.Ordinal)),
                "a POST from another origin is granted");
    }

    /// <summary>HEAD never runs a GET that issues something (a certificate takes the next number of a gapless series),
    /// seals the audit log or builds a whole file: those answer 405 to a HEAD, as before HEAD was served.</summary>
    [Theory]
    [InlineData("/api/properties/1/certificate")]
    [InlineData("/api/audit")]
    [InlineData("/collections/properties/export?format=gpkg")]
    [InlineData("/api/cities/synthetic/districts/1/package.mbtiles")]
    [InlineData("/api/indicators/11.2.1?city=synthetic")]
    public async Task HeadIsNotRunOnAGetThatIssuesSealsOrBuildsAFile(string url)
    {
        var (head, _) = await SendAsync(HttpMethod.Head, url);
        using (head)
            Assert.True(head.StatusCode == HttpStatusCode.MethodNotAllowed, $"HEAD {url}: {(int)head.StatusCode}");
    }

    [Fact]
    public async Task HeadIsAnsweredAsGetWithTheSameHeadersAndNoBody()
    {
        var t = await service.TileOfFirstParcelAsync(18);
        foreach (var url in new[] { "/", "/conformance", "/collections/properties", "/collections/properties/items?limit=3", "/collections/properties/items/1",
                     "/tiles/properties.json", $"/tiles/properties/{t}.mvt", "/api", "/api/cities" })
        {
            var (get, getBody) = await SendAsync(HttpMethod.Get, url);
            var (head, headBody) = await SendAsync(HttpMethod.Head, url);
            using (get)
            using (head)
            {
                Assert.True(get.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)get.StatusCode}");
                Assert.True(head.StatusCode == HttpStatusCode.OK, $"HEAD {url}: {(int)head.StatusCode} (GET gave 200)");
                Assert.Empty(headBody);
                Assert.NotEmpty(getBody);
                Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
                Assert.Equal(get.Headers.ETag, head.Headers.ETag);
                // A tile's length is known before it is sent (the others are streamed): HEAD tells it too.
                if (url.EndsWith(".mvt", StringComparison.Ordinal)) Assert.Equal(getBody.Length, head.Content.Headers.ContentLength);
            }
        }
    }

    [Theory]
    [InlineData("/collections/properties/changes?city=%00")]
    [InlineData("/api/sample-areas?city=%00")]
    [InlineData("/api/properties/search?code=a%00b")]
    [InlineData("/collections/properties/items?filter=code%3D%27%00%27")]
    public async Task ANulInTheQueryIsA400ProblemNotADatabaseError(string url)
    {
        var (response, _) = await SendAsync(HttpMethod.Get, url);
        using (response)
        {
            var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.Contains("NUL", problem.GetProperty("detail").GetString());
        }
    }

    [Theory]
    [InlineData("/no/such/resource", null)]
    [InlineData("/no/such/resource", "text/html")]
    [InlineData("/collections/properties/tiles/WorldCRS84Quad", "application/xml")]
    [InlineData("/api/settlements/99999999999999999999", "*/*")]
    public async Task AnUnknownPathIsA404ProblemWithAReasonWhateverTheAcceptHeader(string url, string? accept)
    {
        var (response, _) = await SendAsync(HttpMethod.Get, url, accept);
        using (response)
        {
            var problem = await ProblemAsync(response, HttpStatusCode.NotFound);
            Assert.Equal("urn:urbanmonitor:problem:not-found", problem.GetProperty("type").GetString());
            Assert.Contains("/api", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task AWrongMethodIsA405ProblemNamingTheAllowedOnes()
    {
        var (response, _) = await SendAsync(HttpMethod.Delete, "/conformance", "text/html");
        using (response)
        {
            var problem = await ProblemAsync(response, HttpStatusCode.MethodNotAllowed);
            Assert.Contains("GET", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task AReadWithoutTheTokenItNeedsIsA401ProblemSayingSo()
    {
        var (response, _) = await SendAsync(HttpMethod.Get, "/api/transactions");
        using (response)
        {
            var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains("bearer token", problem.GetProperty("detail").GetString());
        }
    }
}
