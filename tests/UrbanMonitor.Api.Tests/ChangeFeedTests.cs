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
        await using var api = new ApiFactory(db.ConnectionString);
        using var client = api.CreateClient();
        var feed = new FeedFollower(client, 700);

        var seen = new HashSet<long>();
        foreach (var c in await feed.UntilAsync(2_000))
        {
            Assert.Equal("created", c.GetProperty("operation").GetString());
            Assert.True(seen.Add(c.GetProperty("id").GetInt64()), "each property once");
            var props = c.GetProperty("feature").GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet();
            Assert.Subset(new HashSet<string> { "city", "code", "status", "district_code", "block", "parcel" }, props);
        }
        Assert.Equal(2_000, seen.Count);

        // Nothing new: the same cursor comes back with no changes.
        var cursor = feed.Cursor;
        Assert.Empty(await feed.PollAsync());
        Assert.Equal(cursor, feed.Cursor);

        // An edit (a new version, as the registry writes it) is the one change the next poll returns.
        var id = seen.Min();
        await FeedFollower.NewVersionAsync(db.DataSource, id);
        var change = Assert.Single(await feed.UntilAsync(1));
        Assert.Equal(id, change.GetProperty("id").GetInt64());
        Assert.Equal(2, change.GetProperty("version").GetInt32());
        Assert.Equal("updated", change.GetProperty("operation").GetString());
        Assert.Equal("verified", change.GetProperty("feature").GetProperty("properties").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AChangeWhoseTransactionRunsLongIsNotSkippedByAReaderWhoPolledMeanwhileAndAnotherDatabasesDoesNotHoldTheFeed()
    {
        await using var own = new TestDatabase();
        await own.InitializeAsync();
        await new DemoLoader(own.DataSource).LoadSyntheticAsync(60, 5, Ct);
        await using var api = new ApiFactory(own.ConnectionString);
        using var client = api.CreateClient();
        var feed = new FeedFollower(client, 25);
        Assert.Equal(60, (await feed.UntilAsync(60)).Count);
        static (long, int) Key(JsonElement c) => (c.GetProperty("id").GetInt64(), c.GetProperty("version").GetInt32());

        var first = await own.ScalarAsync<long>("SELECT min(id) FROM properties");
        var second = await own.ScalarAsync<long>("SELECT max(id) FROM properties");
        await using (var slow = await own.DataSource.OpenConnectionAsync(Ct))
        await using (var tx = await slow.BeginTransactionAsync(Ct))
        {
            // The long transaction writes first; a short one writes and commits after it.
            await using (var write = new Npgsql.NpgsqlCommand(FeedFollower.NewVersion, slow, tx))
            {
                write.Parameters.Add(new Npgsql.NpgsqlParameter { Value = first });
                await write.ExecuteNonQueryAsync(Ct);
            }
            await FeedFollower.NewVersionAsync(own.DataSource, second);
            // A reader polling now gets neither: the committed change waits behind the running one, which began first,
            // however long that runs (longer than the few seconds a feed ordered by time would hold changes back).
            await Task.Delay(TimeSpan.FromSeconds(6), Ct);
            Assert.Empty(await feed.PollAsync());
            await tx.CommitAsync(Ct);
        }
        Assert.Equal([(first, 2), (second, 2)], (await feed.UntilAsync(2)).Select(Key));

        // A transaction of another database (the class's own) runs long: this database's feed goes on.
        await using (var elsewhere = await db.DataSource.OpenConnectionAsync(Ct))
        await using (var tx = await elsewhere.BeginTransactionAsync(Ct))
        {
            await using (var xid = new Npgsql.NpgsqlCommand("SELECT pg_current_xact_id()", elsewhere, tx))
                await xid.ExecuteScalarAsync(Ct);
            var third = await own.ScalarAsync<long>("SELECT min(id) FROM properties WHERE id > $1", first);
            await FeedFollower.NewVersionAsync(own.DataSource, third);
            Assert.Equal([(third, 2)], (await feed.UntilAsync(1)).Select(Key));
        }
    }

    [Fact]
    public async Task ACursorFromBeforeTransactionPositionsContinuesAmongTheVersionsWrittenThenAndThenReadsTheNewerOnes()
    {
        await using var own = new TestDatabase();
        await own.InitializeAsync();
        await new DemoLoader(own.DataSource).LoadSyntheticAsync(30, 3, Ct);
        // As in a database migrated to 0145: the versions written before it have position 0.
        await own.ScalarAsync<long>("WITH u AS (UPDATE property_versions SET feed_position = 0 RETURNING 1) SELECT count(*) FROM u");
        var old = new List<(long Id, int Version)>();
        string? tenth = null;
        await using (var cmd = own.DataSource.CreateCommand("""
            SELECT (extract(epoch FROM valid_from) * 1000000)::bigint || '.' || property_id || '.' || version, property_id, version
            FROM property_versions ORDER BY valid_from, property_id, version
            """))
        await using (var r = await cmd.ExecuteReaderAsync(Ct))
            while (await r.ReadAsync(Ct))
            {
                old.Add((r.GetInt64(1), r.GetInt32(2)));
                if (old.Count == 10) tenth = r.GetString(0);
            }
        Assert.Equal(30, old.Count);
        await FeedFollower.NewVersionAsync(own.DataSource, old[0].Id);

        // The cursor the feed gave before 0145 (time, property, version) at the tenth version: the twenty after it, in
        // the old order, then the change made since.
        await using var api = new ApiFactory(own.ConnectionString);
        using var client = api.CreateClient();
        var feed = new FeedFollower(client, 7) { Cursor = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes(tenth!)) };
        var followed = (await feed.UntilAsync(21)).Select(c => (c.GetProperty("id").GetInt64(), c.GetProperty("version").GetInt32())).ToList();
        Assert.Equal([.. old.Skip(10), (old[0].Id, 2)], followed);
        Assert.Empty(await feed.PollAsync());
    }

    [Fact]
    public async Task ReadinessIsDegradedNamingAWritingTransactionLeftOpenThatHoldsTheFeedBack()
    {
        await using var api = new ApiFactory(db.ConnectionString, new Dictionary<string, string?> { ["Features:HeldBackWarningSeconds"] = "1" });
        using var client = api.CreateClient();
        async Task<(HttpStatusCode Status, string State, string Description)> ReadyAsync()
        {
            using var r = await client.GetAsync("/health/ready", Ct);
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct));
            var check = doc.RootElement.GetProperty("checks").GetProperty("changeFeed");
            return (r.StatusCode, check.GetProperty("status").GetString()!, check.GetProperty("description").GetString()!);
        }
        Assert.Equal("Healthy", (await ReadyAsync()).State);

        await using var conn = await db.DataSource.OpenConnectionAsync(Ct);
        await using var tx = await conn.BeginTransactionAsync(Ct);
        int pid;
        await using (var write = new Npgsql.NpgsqlCommand("SELECT pg_backend_pid(), pg_current_xact_id()", conn, tx))
            pid = (int)(await write.ExecuteScalarAsync(Ct))!;
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        var held = await ReadyAsync();
        Assert.Equal(HttpStatusCode.OK, held.Status); // still ready: the feed is late, not broken
        Assert.Equal("Degraded", held.State);
        Assert.Contains($"backend {pid}, idle in transaction", held.Description, StringComparison.Ordinal);
        Assert.Contains("change feed returns nothing published after it began", held.Description, StringComparison.Ordinal);

        await tx.RollbackAsync(Ct);
        Assert.Equal("Healthy", (await ReadyAsync()).State);
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

    [Fact]
    public async Task ACursorPastEveryTransactionOfThisDatabaseIsA410ToSyncAgain()
    {
        await using var api = new ApiFactory(db.ConnectionString);
        using var client = api.CreateClient();
        var next = await db.ScalarAsync<long>("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint + um_feed_offset()");
        var since = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes($"{next + 1_000_000}.0.1.1"));
        using var r = await client.GetAsync($"/collections/properties/changes?since={since}", Ct);
        var body = await r.Content.ReadAsStringAsync(Ct);
        Assert.True(r.StatusCode == HttpStatusCode.Gone, $"{(int)r.StatusCode}: {body}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("cursor-ahead", body, StringComparison.Ordinal);
        Assert.Contains("Sync again from the start", body, StringComparison.Ordinal);
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

/// <summary>A GIS team following <c>/collections/properties/changes</c> with its cursor.</summary>
internal sealed class FeedFollower(HttpClient client, int limit = 10_000)
{
    /// <summary>Version 2 of property $1, as the registry writes it: stamped with its transaction's start. Returns its
    /// feed position.</summary>
    public const string NewVersion = """
        WITH closed AS (UPDATE property_versions SET valid_to = now() WHERE property_id = $1 AND valid_to IS NULL RETURNING *)
        INSERT INTO property_versions (city_id, property_id, version, valid_from, status, code, district_code, block, parcel, attributes, geom)
        SELECT city_id, property_id, 2, valid_to, 'verified', code, district_code, block, parcel, attributes, geom FROM closed
        RETURNING feed_position
        """;

    /// <summary>Writes <see cref="NewVersion"/> of a property in a transaction of its own; returns its feed position.</summary>
    public static async Task<long> NewVersionAsync(Npgsql.NpgsqlDataSource db, long propertyId)
    {
        await using var edit = db.CreateCommand(NewVersion);
        edit.Parameters.Add(new Npgsql.NpgsqlParameter { Value = propertyId });
        return (long)(await edit.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public string Cursor { get; set; } = "";

    /// <summary>Every change the feed gives after the cursor now, page by page; the cursor moves past them.</summary>
    public async Task<List<JsonElement>> PollAsync()
    {
        var got = new List<JsonElement>();
        while (true)
        {
            using var page = JsonDocument.Parse(await client.GetStringAsync(
                $"/collections/properties/changes?limit={limit}&since={Cursor}", TestContext.Current.CancellationToken));
            Cursor = page.RootElement.GetProperty("cursor").GetString()!;
            var changes = page.RootElement.GetProperty("changes").EnumerateArray().Select(c => c.Clone()).ToList();
            if (changes.Count == 0) return got;
            got.AddRange(changes);
        }
    }

    /// <summary>Polls until at least <paramref name="count"/> changes came, for 30 s at most: any transaction of the
    /// database still running holds the feed back until it ends (the service's own upkeep too, for a moment).</summary>
    public async Task<List<JsonElement>> UntilAsync(int count)
    {
        var got = new List<JsonElement>();
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            got.AddRange(await PollAsync());
            if (got.Count >= count || DateTime.UtcNow > until) return got;
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
