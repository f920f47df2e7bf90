using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;
using UrbanMonitor.Domain.Tiles;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Issue 11, faults: each test runs its own PostgreSQL cluster and stops or kills it (or the service).</summary>
public class FaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent NewUser(string login) => Json(new { login, name = login, roles = new[] { "planner" }, districts = new[] { "*" } });

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> attempt, string what, int seconds = 60) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await attempt() is { } done) return done;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), $"{what} did not happen within {seconds} s");
            await Task.Delay(250, Ct);
        }
    }

    [Fact]
    public async Task WithTheDatabaseStoppedWritesGet503CachedTilesAreStillServedAndTheServiceRecoversByItself()
    {
        Assert.SkipUnless(await PostgisServer.UnavailableReasonAsync() is null || PostgisServer.OnCi, "PostGIS is not installed here");
        await using var cluster = new PrivateCluster();
        await cluster.InitAndStartAsync();
        var cs = await cluster.CreateDatabaseAsync("faults");
        await using (var db = UrbanMonitor.Database.UrbanMonitorDataSource.Create(cs, "tests"))
            await new DemoLoader(db).LoadSyntheticAsync(300, 5, Ct);
        await using var api = new ApiFactory(cs);
        using var admin = api.CreateClient().WithToken(TestTokens.For("admin"));
        var tile = TileMath.TileAt(0, 35.2, 12);
        var url = $"/tiles/districts/12/{tile.X}/{tile.Y}.mvt";
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/api/users", NewUser("before.stop"), Ct)).StatusCode);
        // The cache starts once its listener hears the database; then the tile is cached by the first request.
        var cache = api.Services.GetRequiredService<UrbanMonitor.Api.Tiles.TileCache>();
        await EventuallyAsync(() => Task.FromResult(cache.Enabled ? "ok" : null), "the tile cache listening");
        // Tiles are public (and carry no personal data): fetched anonymously, as maps and caches do. A signed-in request
        // needs the database to check its user is not disabled, so it gets 503 while the database is down.
        using var anonymous = api.CreateClient();
        var cached = await anonymous.GetByteArrayAsync(url, Ct);

        await cluster.StopAsync();
        using (var write = await admin.PostAsync("/api/users", NewUser("during.stop"), Ct))
        {
            var problem = await AssertProblemStatusAsync(write, 503);
            Assert.Contains("database-unavailable", problem, StringComparison.Ordinal);
            Assert.True(write.Headers.RetryAfter is not null, "503 without Retry-After");
        }
        Assert.Equal(cached, await anonymous.GetByteArrayAsync(url, Ct));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await anonymous.GetAsync("/health/ready", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health", Ct)).StatusCode);

        await cluster.StartAsync();
        await EventuallyAsync(async () =>
        {
            using var again = await admin.PostAsync("/api/users", NewUser("after.start"), Ct);
            return again.StatusCode == HttpStatusCode.Created ? "ok" : null;
        }, "a write after the database came back");
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/health/ready", Ct)).StatusCode);
        await using var check = new NpgsqlConnection(cs);
        await check.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand("SELECT string_agg(login, ',' ORDER BY login) FROM users", check);
        Assert.Equal("after.start,before.stop", (string)(await cmd.ExecuteScalarAsync(Ct))!);
    }

    [Fact]
    public async Task KillingTheDatabaseUnderWriteLoadLosesNoAcknowledgedWrite()
    {
        Assert.SkipUnless(await PostgisServer.UnavailableReasonAsync() is null || PostgisServer.OnCi, "PostGIS is not installed here");
        await using var cluster = new PrivateCluster();
        await cluster.InitAndStartAsync();
        var cs = await cluster.CreateDatabaseAsync("killed");
        await using var api = new ApiFactory(cs);
        var acknowledged = new ConcurrentBag<string>();
        var refused = 0;
        using var stop = new CancellationTokenSource();
        async Task Writer(int w)
        {
            using var client = api.CreateClient().WithToken(TestTokens.For("admin"));
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var login = $"w{w}.n{i}";
                try
                {
                    using var r = await client.PostAsync("/api/users", NewUser(login), Ct);
                    if (r.StatusCode == HttpStatusCode.Created) acknowledged.Add(login); // the load tool's log of acknowledgements
                    else { Assert.True((int)r.StatusCode is 503 or 422, $"{login}: {(int)r.StatusCode}"); Interlocked.Increment(ref refused); }
                }
                catch (HttpRequestException) { Interlocked.Increment(ref refused); }
            }
        }
        var writers = Enumerable.Range(0, 6).Select(Writer).ToArray();
        await EventuallyAsync(() => Task.FromResult(acknowledged.Count >= 200 ? "ok" : null), "200 acknowledged writes");
        await cluster.KillAsync();
        await Task.Delay(500, Ct);
        await cluster.StartAsync();
        await EventuallyAsync(() => Task.FromResult(acknowledged.Count >= 400 ? "ok" : null), "writes after the restart");
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        NpgsqlConnection.ClearAllPools();
        await using var check = new NpgsqlConnection(cs);
        await check.OpenAsync(Ct);
        var stored = new HashSet<string>();
        await using (var cmd = new NpgsqlCommand("SELECT login FROM users", check))
        await using (var reader = await cmd.ExecuteReaderAsync(Ct))
            while (await reader.ReadAsync(Ct)) stored.Add(reader.GetString(0));
        var lost = acknowledged.Where(a => !stored.Contains(a)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged writes were lost: {string.Join(", ", lost.Take(10))}");
        Assert.True(refused > 0, "the kill refused no write: it did not happen under load");
    }

    [Fact]
    public async Task KillingTheServiceDuringAnImportLeavesNothingVisibleAndTheImportRunsAgain()
    {
        Assert.SkipUnless(await PostgisServer.UnavailableReasonAsync() is null || PostgisServer.OnCi, "PostGIS is not installed here");
        await using var cluster = new PrivateCluster();
        await cluster.InitAndStartAsync();
        var cs = await cluster.CreateDatabaseAsync("imports");
        await using (var db = UrbanMonitor.Database.UrbanMonitorDataSource.Create(cs, "tests"))
            await new DemoLoader(db).LoadSyntheticAsync(300, 5, Ct);

        // 400,000 short street segments: enough for the import to be under way when the service is killed.
        var file = Path.Combine(Path.GetTempPath(), $"um-streets-{Guid.NewGuid():N}.geojson");
        await using (var w = new StreamWriter(file, false, new UTF8Encoding(false)))
        {
            await w.WriteAsync("{\"type\":\"FeatureCollection\",\"features\":[");
            for (var i = 0; i < 400_000; i++)
            {
                var x = (i % 800) * 0.0001; var y = 35 + (i / 800) * 0.0001;
                await w.WriteAsync(FormattableString.Invariant($"{(i > 0 ? "," : "")}{{\"type\":\"Feature\",\"properties\":{{\"name\":\"s{i}\",\"class\":\"local\"}},\"geometry\":{{\"type\":\"LineString\",\"coordinates\":[[{x},{y}],[{x + 0.00008},{y}]]}}}}"));
            }
            await w.WriteAsync("]}");
        }
        try
        {
            long Streets()
            {
                using var c = new NpgsqlConnection(cs);
                c.Open();
                using var cmd = new NpgsqlCommand("SELECT count(*) FROM streets s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'synthetic'", c);
                return (long)cmd.ExecuteScalar()!;
            }
            var before = Streets();
            string job;
            await using (var service = await ServiceProcess.StartAsync(cs))
            {
                job = await service.UploadAsync("/api/cities/synthetic/layers/streets", file);
                await EventuallyAsync(async () => (await service.Client.GetStringAsync(job, Ct)).Contains("\"running\"", StringComparison.Ordinal) ? "ok" : null, "the import running");
                service.Kill();
            }
            Assert.Equal(before, Streets()); // nothing partial visible

            await using var restarted = await ServiceProcess.StartAsync(cs);
            // The restarted service marks the killed job failed, saying why; nothing of it was published.
            await EventuallyAsync(async () => (await restarted.Client.GetStringAsync(job, Ct)).Contains("\"failed\"", StringComparison.Ordinal) ? "ok" : null, "the killed job marked failed", 30);
            var rerun = await restarted.UploadAsync("/api/cities/synthetic/layers/streets", file);
            var done = await EventuallyAsync(async () =>
            {
                var s = await restarted.Client.GetStringAsync(rerun, Ct);
                return s.Contains("\"succeeded\"", StringComparison.Ordinal) || s.Contains("\"failed\"", StringComparison.Ordinal) ? s : null;
            }, "the rerun", 300);
            Assert.Contains("\"succeeded\"", done, StringComparison.Ordinal);
            Assert.Equal(400_000L, Streets());
        }
        finally { File.Delete(file); }
    }

    private static async Task<string> AssertProblemStatusAsync(HttpResponseMessage r, int status)
    {
        var body = await r.Content.ReadAsStringAsync(Ct);
        Assert.True((int)r.StatusCode == status, $"expected {status}, got {(int)r.StatusCode}: {body}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        return body;
    }
}

/// <summary>The service as a separate process on a free port (so a test can kill it with SIGKILL).</summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    public HttpClient Client { get; }

    private ServiceProcess(Process process, HttpClient client) { _process = process; Client = client; }

    public static async Task<ServiceProcess> StartAsync(string connectionString)
    {
        var p = PrivateCluster.FreePort();
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(Repo.Root, "src", "UrbanMonitor.Api", "bin", configuration, "net10.0", "UrbanMonitor.Api.dll");
        var psi = new ProcessStartInfo("dotnet", [dll]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        psi.Environment["URBANMONITOR_DB"] = connectionString;
        psi.Environment["URBANMONITOR_Auth__SigningKey"] = TestTokens.Key;
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{p}";
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{p}") }.WithToken(TestTokens.For("admin"));
        var service = new ServiceProcess(process, client);
        for (var i = 0; i < 240; i++)
        {
            try { if ((await client.GetAsync("/health/ready")).IsSuccessStatusCode) return service; }
            catch (HttpRequestException) { }
            Assert.False(process.HasExited, "the service exited at start");
            await Task.Delay(250);
        }
        await service.DisposeAsync();
        throw new TimeoutException("the service did not become ready");
    }

    public async Task<string> UploadAsync(string path, string file)
    {
        await using var stream = File.OpenRead(file);
        using var content = new StreamContent(stream);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/geo+json");
        using var r = await Client.PostAsync(path, content);
        Assert.True(r.StatusCode == HttpStatusCode.Accepted, $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
        return r.Headers.Location!.ToString();
    }

    public void Kill()
    {
        // SIGKILL: no shutdown hooks, no disposal; whatever the import had in flight is cut off.
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        _process.Dispose();
        Client.Dispose();
    }
}

/// <summary>What the 503 says: a statement that ran past its time is not blamed on an unreachable database alone.</summary>
public class DatabaseUnavailableAnswerTests
{
    private static async Task<string> DetailAsync(Exception e)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = services };
        http.Response.Body = new MemoryStream();
        Assert.True(await new UrbanMonitor.Api.Hosting.DatabaseUnavailableHandler().TryHandleAsync(http, e, TestContext.Current.CancellationToken));
        Assert.Equal(503, http.Response.StatusCode);
        Assert.Equal("5", http.Response.Headers.RetryAfter.ToString());
        http.Response.Body.Position = 0;
        using var doc = System.Text.Json.JsonDocument.Parse(http.Response.Body);
        return doc.RootElement.GetProperty("detail").GetString()!;
    }

    [Fact]
    public async Task ACommandTimeoutSaysTheRequestMayNeedMoreTimeAndARefusedConnectionSaysTheDatabaseIsUnreachable()
    {
        // What Npgsql throws when a command runs past its timeout, and when no connection can be opened.
        var timeout = await DetailAsync(new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt")));
        Assert.Contains("needs more time than a request may take", timeout, StringComparison.Ordinal);
        var refused = await DetailAsync(new NpgsqlException("Failed to connect to 127.0.0.1:1", new System.Net.Sockets.SocketException(111)));
        Assert.Equal("The database cannot be reached just now; nothing was changed. Retry in a few seconds.", refused);
    }
}
