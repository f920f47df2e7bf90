using System.Net;
using Microsoft.Extensions.DependencyInjection;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>Issue 11: requests per client are limited with ASP.NET Core's rate limiter; over the limit a client gets 429
/// problem+json with Retry-After, and other clients are not held back.</summary>
public class RateLimitTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AClientOverItsLimitGets429WithRetryAfterWhileOthersGoOn()
    {
        await using var api = new ApiFactory(db.ConnectionString, new Dictionary<string, string?>
        {
            ["Limits:PermitsPerSecond"] = "2",
            ["Limits:Burst"] = "5",
        });
        using var greedy = api.CreateClient().WithToken(TestTokens.For("planner"));
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 12; i++)
        {
            var r = await greedy.GetAsync("/api/cities", Ct);
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests) limited ??= r; else r.Dispose();
        }
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.NotNull(limited);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Contains("rate-limited", await limited.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.True(limited.Headers.RetryAfter?.Delta is { } after && after >= TimeSpan.FromSeconds(1), "429 without Retry-After");
        limited.Dispose();

        // Another user is a client of their own: not limited by the first one's requests.
        using var other = api.CreateClient().WithToken(TestTokens.For("planner"));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/cities", Ct)).StatusCode);
        // And the greedy one is let in again once its bucket refills.
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.Equal(HttpStatusCode.OK, (await greedy.GetAsync("/api/cities", Ct)).StatusCode);
    }

    [Fact]
    public async Task OnARealServerALongFilterIsServedAndAUrlOverTheLimitIsA414ProblemWithTheReason()
    {
        await using var api = new ApiFactory(db.ConnectionString);
        api.UseKestrel(0);
        api.StartServer();
        var address = api.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal)) };
        string Url(int values) => "/collections/properties/items?filter="
            + Uri.EscapeDataString($"code IN ({string.Join(",", Enumerable.Range(0, values).Select(i => $"'NONE-{i:D5}'"))})");

        // A filter of 1,200 codes: about 23 KB, three times what Kestrel takes by default.
        var longUrl = Url(1_200);
        Assert.InRange(longUrl.Length, 20_000, 32 * 1024);
        using (var served = await client.GetAsync(longUrl, Ct))
        {
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"{(int)served.StatusCode}: {await served.Content.ReadAsStringAsync(Ct)}");
            Assert.Contains("\"numberReturned\":0", await served.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        // Over the limit (32 KiB): the service answers, with the reason, before Kestrel's own limit would answer with nothing.
        var tooLong = Url(2_000);
        Assert.InRange(tooLong.Length, 32 * 1024 + 1, Limits.UrlCeiling - 100);
        using var refused = await client.GetAsync(tooLong, Ct);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var body = await refused.Content.ReadAsStringAsync(Ct);
        Assert.Contains("url-too-long", body, StringComparison.Ordinal);
        Assert.Contains("at most 32,768", body, StringComparison.Ordinal);
    }
}
