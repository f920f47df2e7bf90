using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// Issue 12, read scaling: the service on a multi-host connection string (a primary and a hot standby started by
/// scripts/lib.sh <c>um_standby_create</c>, its own clusters). The standby replays commits an hour late
/// (<c>recovery_min_apply_delay</c>), so a read that sees a fresh write can only have come from the primary, and a read
/// that misses it can only have come from the standby.
/// </summary>
public class ReadReplicaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> ReadsAsync(HttpClient client)
    {
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/health/reads", Ct));
        return doc.RootElement.Clone();
    }

    private static async Task<long> ScansAsync(string cs, string table)
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand(
            """
            SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)::bigint FROM pg_stat_user_tables s
            WHERE s.relid = $1::regclass OR s.relid IN (SELECT relid FROM pg_partition_tree($1::regclass))
            """, c); // a partitioned table (properties) has its scans counted on its partitions
        cmd.Parameters.Add(new NpgsqlParameter { Value = table });
        return (long)(await cmd.ExecuteScalarAsync(Ct))!;
    }

    [Fact]
    public async Task AnonymousReadsComeFromTheStandbyAWriterReadsTheirOwnWriteAtOnceAndReadsFallBackToThePrimaryWhenTheStandbyStops()
    {
        Assert.SkipUnless(await PostgisServer.UnavailableReasonAsync() is null || PostgisServer.OnCi, "PostGIS is not installed here");
        await using var primary = new PrivateCluster();
        await primary.InitAndStartAsync();
        var primaryCs = await primary.CreateDatabaseAsync("replica");
        await using (var db = UrbanMonitor.Database.UrbanMonitorDataSource.Create(primaryCs, "tests"))
            await new DemoLoader(db).LoadSyntheticAsync(300, 5, Ct);
        // A free 4 m square inside a district, at least 4 m from every parcel (in a street), for the land officer.
        string district; double x, y;
        await using (var c = new NpgsqlConnection(primaryCs))
        {
            await c.OpenAsync(Ct);
            await using var cmd = new NpgsqlCommand("""
                WITH d AS (SELECT d.code, ST_Buffer(d.geom::geography, -10)::geometry AS g
                           FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'synthetic'),
                     cell AS (SELECT d.code, ST_Centroid((ST_SquareGrid(0.00003, d.g)).geom) AS pt FROM d)
                SELECT cell.code, ST_X(cell.pt), ST_Y(cell.pt)
                FROM cell JOIN d ON d.code = cell.code
                WHERE ST_Contains(d.g, cell.pt)
                  AND NOT EXISTS (SELECT 1 FROM properties p WHERE p.geom && ST_Expand(cell.pt, 0.0002) AND ST_DWithin(p.geom::geography, cell.pt::geography, 7))
                ORDER BY 1, 2, 3 LIMIT 1
                """, c);
            await using var r = await cmd.ExecuteReaderAsync(Ct);
            Assert.True(await r.ReadAsync(Ct), "no free spot in the synthetic city");
            (district, x, y) = (r.GetString(0), r.GetDouble(1), r.GetDouble(2));
        }

        await using var standby = await primary.StartStandbyAsync("recovery_min_apply_delay=1h");
        var standbyCs = standby.ConnectionString("replica");
        var multiHost = $"Host=127.0.0.1:{primary.Port},127.0.0.1:{standby.Port};Username=postgres;Database=replica;Timeout=5;Command Timeout=60";
        await using var api = new ApiFactory(multiHost);
        using var anonymous = api.CreateClient();
        using var reader = api.CreateClient().WithToken(TestTokens.For("gis-reader"));
        using var officer = api.CreateClient().WithToken(TestTokens.For("land-officer"));

        // Routing: anonymous and read-only users read from the standby, writers from the primary.
        var route = await ReadsAsync(anonymous);
        Assert.Equal("standby", route.GetProperty("server").GetString());
        Assert.Equal(standby.Port, route.GetProperty("port").GetInt32());
        Assert.Equal("standby", (await ReadsAsync(reader)).GetProperty("server").GetString());
        Assert.Equal(primary.Port, (await ReadsAsync(officer)).GetProperty("port").GetInt32());

        // A feed page and the settlement analysis read anonymously are served by the standby: its own statistics count
        // the scans of properties and of settlements.
        var propertiesBefore = await ScansAsync(standbyCs, "properties");
        var settlementsBefore = await ScansAsync(standbyCs, "settlements");
        using (var page = await anonymous.GetAsync("/collections/properties/items?limit=50", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            using var doc = JsonDocument.Parse(await page.Content.ReadAsStringAsync(Ct));
            Assert.Equal(50, doc.RootElement.GetProperty("numberReturned").GetInt32());
        }
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/cities/synthetic/settlements/analysis", Ct)).StatusCode);
        // Stored indicator results are read from the standby too (a standby refuses any write: this read writes nothing).
        using (var indicator = await anonymous.GetAsync("/api/indicators/results?city=synthetic", Ct))
            Assert.True(indicator.StatusCode == HttpStatusCode.OK, await indicator.Content.ReadAsStringAsync(Ct));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await ScansAsync(standbyCs, "properties") <= propertiesBefore || await ScansAsync(standbyCs, "settlements") <= settlementsBefore)
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"the standby's statistics show no scan of properties ({propertiesBefore} → {await ScansAsync(standbyCs, "properties")}) " +
                $"and settlements ({settlementsBefore} → {await ScansAsync(standbyCs, "settlements")}) after anonymous reads");
            await Task.Delay(250, Ct);
        }

        // The land officer registers a parcel and reads it back at once through the same feed URL (from the primary);
        // an anonymous reader does not see it yet (the standby is an hour behind).
        using var created = await officer.PostAsync("/api/properties", Feature(Square((x, y), side: 4), district, "R1", "1", city: "synthetic"), Ct);
        var createdBody = await created.Content.ReadAsStringAsync(Ct);
        Assert.True(created.StatusCode == HttpStatusCode.Created, createdBody);
        var id = JsonDocument.Parse(createdBody).RootElement.GetProperty("id").GetInt64();
        var item = $"/collections/properties/items/{id}";
        using (var own = await officer.GetAsync(item, Ct))
            Assert.True(own.StatusCode == HttpStatusCode.OK, $"the writer did not read their own write: {(int)own.StatusCode}");
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(item, Ct)).StatusCode);

        // The CLI given the hosts standby first still writes to the primary (a standby would refuse: read-only).
        var standbyFirst = $"Host=127.0.0.1:{standby.Port},127.0.0.1:{primary.Port};Username=postgres;Database=replica;Timeout=5";
        var cli = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "add", "replica.cli", "--name", "Replica CLI", "--role", "planner", "--district", "*", "--db", standbyFirst]);
        Assert.True(cli.ExitCode == 0, cli.Output);
        await using (var c = new NpgsqlConnection(primaryCs))
        {
            await c.OpenAsync(Ct);
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM users WHERE login = 'replica.cli'", c);
            Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync(Ct))!);
        }

        // The standby stops: anonymous reads carry on from the primary (and now see the parcel).
        await standby.StopAsync();
        using (var after = await anonymous.GetAsync(item, Ct))
            Assert.True(after.StatusCode == HttpStatusCode.OK, $"with the standby stopped the read got {(int)after.StatusCode}");
        Assert.Equal("primary", (await ReadsAsync(anonymous)).GetProperty("server").GetString());
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/cities/synthetic", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("a broken pooled connection of a stopped standby", false, 2)]
    [InlineData("a statement that ran past its time", true, 1)]
    public async Task AGetThatMeetsABrokenConnectionIsRunOnceMoreButOneThatTimedOutIsNot(string what, bool timedOut, int runs)
    {
        // Two data sources as the service builds them from a multi-host string; nothing connects in this test.
        await using var primary = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody");
        await using var standby = NpgsqlDataSource.Create("Host=127.0.0.1;Port=2;Username=nobody");
        var services = new ServiceCollection()
            .AddSingleton(new UrbanMonitor.Api.Hosting.ReadDatabase(primary, standby)).BuildServiceProvider();
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = services };
        http.Request.Method = "GET";
        var calls = 0;
        Task Next(Microsoft.AspNetCore.Http.HttpContext _) =>
            ++calls == 1
                ? throw new NpgsqlException("Exception while reading from stream", timedOut ? new TimeoutException("Timeout during reading attempt") : new IOException("Connection reset"))
                : Task.CompletedTask;
        if (runs == 1)
            await Assert.ThrowsAsync<NpgsqlException>(() => UrbanMonitor.Api.Hosting.ReadDatabase.RetryReadOnceAsync(http, Next));
        else
            await UrbanMonitor.Api.Hosting.ReadDatabase.RetryReadOnceAsync(http, Next);
        Assert.True(calls == runs, $"{what}: run {calls} times");
    }
}
