using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;

namespace UrbanMonitor.Api.Tests;

public class ChangeFeedTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AGisTeamSyncsEveryPropertyOnceThenOnlyWhatChangedByPollingWithTheCursor()
    {
        await new DemoLoader(db.DataSource).LoadSyntheticAsync(2_000, 42, Ct);
        await using var api = new ApiFactory(db.ConnectionString, new Dictionary<string, string?> { ["Features:ChangeFeedSettleSeconds"] = "0" });
        using var client = api.CreateClient();

        async Task<JsonElement> Page(string url)
        {
            using var doc = JsonDocument.Parse(await client.GetStringAsync(url, Ct));
            return doc.RootElement.Clone();
        }

        var seen = new HashSet<long>();
        var url = "/collections/properties/changes?limit=700";
        string cursor;
        while (true)
        {
            var page = await Page(url);
            cursor = page.GetProperty("cursor").GetString()!;
            var changes = page.GetProperty("changes").EnumerateArray().ToList();
            if (changes.Count == 0) break;
            foreach (var c in changes)
            {
                Assert.Equal("created", c.GetProperty("operation").GetString());
                Assert.True(seen.Add(c.GetProperty("id").GetInt64()), "each property once");
                var props = c.GetProperty("feature").GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet();
                Assert.Subset(new HashSet<string> { "city", "code", "status", "district_code", "block", "parcel" }, props);
            }
            url = page.GetProperty("links")[0].GetProperty("href").GetString()!;
        }
        Assert.Equal(2_000, seen.Count);

        // Nothing new: the same cursor comes back with no changes.
        var idle = await Page($"/collections/properties/changes?since={cursor}");
        Assert.Equal(0, idle.GetProperty("numberReturned").GetInt32());
        Assert.Equal(cursor, idle.GetProperty("cursor").GetString());

        // An edit (a new version, as the registry writes it) is the one change the next poll returns.
        var id = seen.Min();
        await db.ScalarAsync<long>("""
            WITH closed AS (UPDATE property_versions SET valid_to = clock_timestamp() WHERE property_id = $1 AND valid_to IS NULL RETURNING *),
                 v2 AS (INSERT INTO property_versions (city_id, property_id, version, valid_from, status, code, district_code, block, parcel, attributes, geom)
                        SELECT city_id, property_id, 2, valid_to, 'verified', code, district_code, block, parcel, attributes, geom FROM closed RETURNING 1)
            SELECT count(*) FROM v2
            """, id);
        var update = await Page($"/collections/properties/changes?since={cursor}");
        var change = Assert.Single(update.GetProperty("changes").EnumerateArray());
        Assert.Equal(id, change.GetProperty("id").GetInt64());
        Assert.Equal(2, change.GetProperty("version").GetInt32());
        Assert.Equal("updated", change.GetProperty("operation").GetString());
        Assert.Equal("verified", change.GetProperty("feature").GetProperty("properties").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/collections/settlements/changes", 404)]
    [InlineData("/collections/properties/changes?since=not-a-cursor", 400)]
    [InlineData("/collections/properties/changes?limit=0", 400)]
    public async Task FeedsWithoutHistoryAndBadCursorsAreProblems(string url, int status)
    {
        await using var api = new ApiFactory(db.ConnectionString);
        using var client = api.CreateClient();
        using var r = await client.GetAsync(url, Ct);
        Assert.Equal(status, (int)r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("9223372036854775807.1.1")]
    [InlineData("-9223372036854775808.1.1")]
    public async Task ACursorBeyondTheCalendarIsA400ProblemNotAnIntervalOverflow(string position)
    {
        await using var api = new ApiFactory(db.ConnectionString);
        using var client = api.CreateClient();
        var since = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes(position));
        using var r = await client.GetAsync($"/collections/properties/changes?since={since}", Ct);
        var body = await r.Content.ReadAsStringAsync(Ct);
        Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{(int)r.StatusCode}: {body}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("cursor", body);
    }
}

