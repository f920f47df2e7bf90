using System.Net;
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
}
