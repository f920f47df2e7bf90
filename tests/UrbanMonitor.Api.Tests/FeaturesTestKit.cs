using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>Helpers of the OGC API - Features tests: fetch JSON, follow next links, ask PostGIS the same question.</summary>
internal static class FeaturesTestKit
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(url, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == response.StatusCode, $"GET {url} → {(int)response.StatusCode}: {body}");
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }

    public static string? NextLink(JsonElement page) =>
        page.GetProperty("links").EnumerateArray().Where(l => l.GetProperty("rel").GetString() == "next")
            .Select(l => l.GetProperty("href").GetString()).SingleOrDefault();

    /// <summary>Every feature of a collection query, following the next links; also returns the number of pages.</summary>
    public static async Task<(List<JsonElement> Features, int Pages)> AllFeaturesAsync(HttpClient client, string url)
    {
        var features = new List<JsonElement>();
        var pages = 0;
        for (string? next = url; next is not null; pages++)
        {
            Assert.True(pages < 10_000, "next links never end");
            var page = await GetJsonAsync(client, next);
            Assert.Equal("FeatureCollection", page.GetProperty("type").GetString());
            var onPage = page.GetProperty("features").EnumerateArray().ToList();
            Assert.Equal(onPage.Count, page.GetProperty("numberReturned").GetInt32());
            features.AddRange(onPage);
            next = NextLink(page);
        }
        return (features, pages);
    }

    public static List<long> Ids(IEnumerable<JsonElement> features) => features.Select(f => f.GetProperty("id").GetInt64()).ToList();

    /// <summary>The ids a SQL query returns (first column), in its order.</summary>
    public static async Task<List<long>> SqlIdsAsync(TestDatabase db, string sql, params object[] args)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = a });
        await using var reader = await cmd.ExecuteReaderAsync(Ct);
        var ids = new List<long>();
        while (await reader.ReadAsync(Ct)) ids.Add(reader.GetInt64(0));
        return ids;
    }

    public static IEnumerable<JsonElement> Links(JsonElement e) => e.GetProperty("links").EnumerateArray();
}
