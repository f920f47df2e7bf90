using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Backup;
using UrbanMonitor.Database.Demo;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Issue 11: the append-only, hash-chained audit log (<c>/api/audit</c>, <c>urbanmonitor audit verify</c>) and
/// <c>urbanmonitor backup|restore</c> with the check that a restore is identical.</summary>
public class AuditAndBackupTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Repo.ProcessResult> CliAsync(params string[] args) =>
        await Repo.RunAsync("dotnet", [Repo.CliDll, .. args], new Dictionary<string, string?> { ["URBANMONITOR_DB"] = db.ConnectionString });

    private async Task ExecAsync(string sql)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync(Ct);
    }

    [Fact]
    public async Task EveryWriteIsLoggedWithWhoBeforeAndAfterTheLogIsAppendOnlyAndTamperingBreaksTheChain()
    {
        await new DemoLoader(db.DataSource).LoadSyntheticAsync(500, 7, Ct);
        await using var api = new ApiFactory(db.ConnectionString);
        using var admin = api.CreateClient().WithToken(TestTokens.For("admin"));
        using var officer = api.CreateClient().WithToken(TestTokens.For("land-officer", "synthetic:1"));
        AssertUnauthorized(await api.CreateClient().GetAsync("/api/audit", Ct));
        Assert.Equal(HttpStatusCode.Forbidden, (await officer.GetAsync("/api/audit", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await officer.GetAsync("/api/audit/verify", Ct)).StatusCode);
        // An admin of some districts only reads their holders through the registry, not every district's in the log.
        using var districtAdmin = api.CreateClient().WithToken(TestTokens.For("admin", "synthetic:1"));
        Assert.Equal(HttpStatusCode.Forbidden, (await districtAdmin.GetAsync("/api/audit?table=parties", Ct)).StatusCode);

        // The demo load was logged row by row (500 parcels: under the bulk threshold), by the database user.
        Assert.Equal(500L, await db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE table_name = 'properties' AND action = 'insert'"));

        await OkAsync(await admin.PostAsync("/api/users", Json(new { login = "farid", name = "Farid", roles = new[] { "planner" }, districts = new[] { "*" } }), Ct), HttpStatusCode.Created);
        await OkAsync(await admin.PatchAsync("/api/users/farid", Json(new { name = "Farid Ahmadi" }), Ct));

        var page = await OkAsync(await admin.GetAsync("/api/audit?table=users&limit=10", Ct));
        var entries = page.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        var update = entries[0];
        Assert.Equal("update", update.GetProperty("action").GetString());
        Assert.Equal("admin", update.GetProperty("actor").GetString());
        Assert.Equal("Farid", update.GetProperty("before").GetProperty("name").GetString());
        Assert.Equal("Farid Ahmadi", update.GetProperty("after").GetProperty("name").GetString());
        Assert.True(update.GetProperty("seal").GetInt64() > 0, "entries are chained before they are listed");
        Assert.Equal("insert", entries[1].GetProperty("action").GetString());
        Assert.Equal(JsonValueKind.Null, entries[1].GetProperty("before").ValueKind);

        // One record's history by its key; the property rows carry their geometry as GeoJSON.
        var id = await db.ScalarAsync<long>("SELECT min(id) FROM properties");
        var record = await OkAsync(await admin.GetAsync($"/api/audit?table=properties&record={Uri.EscapeDataString($"{{\"id\":{id}}}")}", Ct));
        var inserted = Assert.Single(record.GetProperty("entries").EnumerateArray());
        Assert.Equal("MultiPolygon", inserted.GetProperty("after").GetProperty("geom").GetProperty("type").GetString());
        await AssertProblemAsync(await admin.GetAsync("/api/audit?record=nope", Ct), 400, "invalid-parameter");
        await AssertProblemAsync(await admin.GetAsync("/api/audit?limit=0", Ct), 400, "invalid-parameter");

        var verify = await OkAsync(await admin.GetAsync("/api/audit/verify", Ct));
        Assert.True(verify.GetProperty("intact").GetBoolean());
        var ok = await CliAsync("audit", "verify");
        Assert.True(ok.ExitCode == 0, ok.Output);
        Assert.Contains("intact", ok.Stdout, StringComparison.Ordinal);

        // Append-only: the service's own database user cannot change or remove an entry.
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecAsync("UPDATE audit_log SET actor = 'someone-else' WHERE table_name = 'users'"));
        Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PostgresException>(() => ExecAsync("DELETE FROM audit_log WHERE table_name = 'users'"));
        await Assert.ThrowsAsync<PostgresException>(() => ExecAsync("TRUNCATE audit_log"));

        // Someone with the power to switch the guard off edits an entry: the chain shows where.
        var target = update.GetProperty("seal").GetInt64();
        await ExecAsync($"ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard; UPDATE audit_log SET after = jsonb_set(after, '{{name}}', '\"Someone Else\"') WHERE seal_seq = {target}; ALTER TABLE audit_log ENABLE TRIGGER audit_log_guard");
        var broken = await OkAsync(await admin.GetAsync("/api/audit/verify", Ct));
        Assert.False(broken.GetProperty("intact").GetBoolean());
        Assert.Equal(target, broken.GetProperty("problems")[0].GetProperty("seal").GetInt64());
        var cli = await CliAsync("audit", "verify");
        Assert.Equal(4, cli.ExitCode);
        Assert.Contains($"BROKEN at entry {target}", cli.Stdout, StringComparison.Ordinal);

        // Removing an entry is found too (the numbering and the next link break).
        await ExecAsync($"ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard; UPDATE audit_log SET after = jsonb_set(after, '{{name}}', '\"Farid Ahmadi\"') WHERE seal_seq = {target}; DELETE FROM audit_log WHERE seal_seq = {target - 1}; ALTER TABLE audit_log ENABLE TRIGGER audit_log_guard");
        var gap = await OkAsync(await admin.GetAsync("/api/audit/verify", Ct));
        Assert.False(gap.GetProperty("intact").GetBoolean());
        Assert.Equal(target, gap.GetProperty("problems")[0].GetProperty("seal").GetInt64());
    }

    [Fact]
    public async Task ABackupRestoresIntoANewDatabaseIdenticallyAndTheCheckCatchesADifference()
    {
        // Its own source database: the class's one holds the audit test's writes.
        await using var source = new TestDatabase();
        await source.InitializeAsync();
        await using var restored = new TestDatabase();
        await restored.InitializeAsync();
        await new DemoLoader(source.DataSource).LoadSyntheticAsync(800, 11, Ct);
        // As if the source were a cluster whose transaction ids run far ahead of the one restored into: the change feed
        // position of one version (0145) lies ten million transactions ahead.
        var ahead = await source.ScalarAsync<long>("""
            UPDATE property_versions SET feed_position = um_feed_position() + 10000000
            WHERE property_id = (SELECT min(property_id) FROM property_versions) RETURNING feed_position
            """);
        var file = Path.Combine(Path.GetTempPath(), $"urbanmonitor-backup-{Guid.NewGuid():N}.dump");
        try
        {
            var backup = await Repo.RunAsync("dotnet", [Repo.CliDll, "backup", file, "--db", source.ConnectionString]);
            Assert.True(backup.ExitCode == 0, backup.Output);
            var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Backups.ManifestPath(file), Ct))!;
            Assert.Contains(manifest["Tables"]!.AsArray(), t => (string?)t!["Table"] == "properties" && (long)t["Rows"]! == 800);

            // Into a non-empty database (a migrated clone): refused, nothing touched.
            var notEmpty = await Repo.RunAsync("dotnet", [Repo.CliDll, "restore", file, "--db", restored.ConnectionString]);
            Assert.Equal(6, notEmpty.ExitCode);
            Assert.Contains("not empty", notEmpty.Stderr, StringComparison.Ordinal);

            var target = PostgisServer.ConnectionStringFor("restore_" + Guid.NewGuid().ToString("N")[..10]);
            var restore = await Repo.RunAsync("dotnet", [Repo.CliDll, "restore", file, "--db", target]);
            Assert.True(restore.ExitCode == 0, restore.Output);
            Assert.Contains("identical", restore.Stdout, StringComparison.Ordinal);
            await using (var check = new NpgsqlConnection(target))
            {
                await check.OpenAsync(Ct);
                var fromBackup = await Backups.DigestAsync(check, null, Ct);
                await using var original = await source.DataSource.OpenConnectionAsync(Ct);
                Assert.Equal(await Backups.DigestAsync(original, null, Ct), fromBackup);

                // The restore continued the feed's positions after the restored ones: a change made in the restored
                // database comes after every restored change, not before the one far ahead.
                await using var restoredDb = NpgsqlDataSource.Create(target);
                await using var lastParcel = restoredDb.CreateCommand("SELECT max(id) FROM properties");
                var last = (long)(await lastParcel.ExecuteScalarAsync(Ct))!;
                Assert.True(await FeedFollower.NewVersionAsync(restoredDb, last) > ahead, "a new change follows the restored ones");
            }
            // A GIS team's cursor at the far-ahead change, given by the source before the backup, goes on in the restored
            // database with the change made there; one past every change in the backup is told to sync again.
            await using (var served = new ApiFactory(target))
            {
                using var client = served.CreateClient();
                string Cursor(long position) => System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes(
                    $"{position}.220000000000000000.{long.MaxValue}.1"));
                using var after = JsonDocument.Parse(await client.GetStringAsync($"/collections/properties/changes?since={Cursor(ahead)}", Ct));
                var change = Assert.Single(after.RootElement.GetProperty("changes").EnumerateArray());
                Assert.Equal(2, change.GetProperty("version").GetInt32());
                using var gone = await client.GetAsync($"/collections/properties/changes?since={Cursor(ahead + 1_000_000)}", Ct);
                Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
            }

            // A manifest that does not match what was restored is reported, table by table.
            var tables = manifest["Tables"]!.AsArray();
            var properties = tables.First(t => (string?)t!["Table"] == "properties")!;
            properties["Md5"] = "0123456789abcdef0123456789abcdef";
            await File.WriteAllTextAsync(Backups.ManifestPath(file), manifest.ToJsonString(), Ct);
            var second = PostgisServer.ConnectionStringFor("restore_" + Guid.NewGuid().ToString("N")[..10]);
            var mismatch = await Repo.RunAsync("dotnet", [Repo.CliDll, "restore", file, "--db", second]);
            Assert.Equal(7, mismatch.ExitCode);
            Assert.Contains("properties", mismatch.Stderr, StringComparison.Ordinal);
            NpgsqlConnection.ClearAllPools();
            foreach (var name in new[] { target, second }.Select(c => new NpgsqlConnectionStringBuilder(c).Database!))
                await PostgisServer.AdminAsync($"DROP DATABASE IF EXISTS {PostgisServer.Quote(name)} WITH (FORCE)");
        }
        finally
        {
            File.Delete(file);
            File.Delete(Backups.ManifestPath(file));
        }
    }
}
