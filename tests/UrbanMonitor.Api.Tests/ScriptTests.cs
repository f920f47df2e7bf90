using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>The commands a user types: the CLI and ./run.sh, run as processes.</summary>
public class CliTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task AWrongDatabaseGetsOneClearParagraphNotAStackTrace()
    {
        var port = FreePort();
        var result = await Repo.RunAsync("dotnet", [Repo.CliDll, "migrate"], new Dictionary<string, string?>
        {
            ["URBANMONITOR_DB"] = $"Host=127.0.0.1;Port={port};Database=registry;Username=landoffice;Timeout=3",
        });
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Could not reach PostgreSQL", result.Stderr);
        Assert.Contains($"'registry' on 127.0.0.1:{port}", result.Stderr);
        Assert.Contains("URBANMONITOR_DB", result.Stderr);
        Assert.DoesNotContain("   at ", result.Output);
    }

    [Fact]
    public async Task AConnectionStringThatIsNotOneIsExplained()
    {
        var result = await Repo.RunAsync("dotnet", [Repo.CliDll, "migrate"], new Dictionary<string, string?> { ["URBANMONITOR_DB"] = "this is not a connection string" });
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not valid", result.Stderr);
        Assert.DoesNotContain("   at ", result.Output);
    }

    [Fact]
    public async Task MissingSharedDataLoadsTheSyntheticCityWithAClearMessage()
    {
        var result = await Repo.RunAsync("dotnet", [Repo.CliDll, "demo", "--db", db.ConnectionString, "--data", "/nonexistent/shared/data", "--parcels", "400"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("real demo data was not found in /nonexistent/shared/data", result.Stdout);
        Assert.Contains("synthetic", result.Stdout);
        Assert.Equal(400, await db.ScalarAsync<long>("SELECT count(*) FROM properties p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'synthetic'"));
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

public class RunScriptTests
{
    [Fact]
    public async Task ABusyPortIsRefusedWithAClearMessageBeforeAnythingStarts()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var result = await Repo.RunAsync("bash", ["run.sh"], new Dictionary<string, string?> { ["URBANMONITOR_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"port {port} on 127.0.0.1 is already in use", result.Stderr);
        // The message ends with the command to type; the exit code is not printed after it.
        Assert.EndsWith("URBANMONITOR_PORT=5081 ./run.sh", result.Stderr.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("Building", result.Stderr);
    }

    [Fact]
    public async Task ReplicaShNamesTheStandbyPortSettingWhenThatPortIsTakenBeforeCopyingAnything()
    {
        using var primary = new TcpListener(IPAddress.Loopback, 0);
        primary.Start();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var standbyPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var home = Directory.CreateTempSubdirectory("um-replica-").FullName;
        try
        {
            // What the script checks of ./run.sh's cluster: its folder, and something listening on its port.
            Directory.CreateDirectory(Path.Combine(home, "pg"));
            await File.WriteAllTextAsync(Path.Combine(home, "pg", "PG_VERSION"), "15\n", TestContext.Current.CancellationToken);
            var result = await Repo.RunAsync("bash", ["scripts/replica.sh", "start"], new Dictionary<string, string?>
            {
                ["URBANMONITOR_HOME"] = home,
                ["URBANMONITOR_PG_PORT"] = ((IPEndPoint)primary.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["URBANMONITOR_STANDBY_PORT"] = standbyPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, TimeSpan.FromSeconds(60));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"port {standbyPort} on 127.0.0.1 is taken", result.Stderr);
            Assert.Contains("URBANMONITOR_STANDBY_PORT", result.Stderr);
            Assert.False(Directory.Exists(Path.Combine(home, "standby")));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>The newcomer's path: ./run.sh creates its cluster, migrates, loads, serves; SIGTERM stops both; a
    /// second run reuses them. Uses its own state folder and ports, so it works while a real ./run.sh serves.</summary>
    [Fact]
    public async Task RunShServesTheDemoStopsCleanlyOnSigtermAndReusesItsClusterOnTheNextRun()
    {
        var unavailable = await PostgisServer.UnavailableReasonAsync();
        Assert.SkipWhen(unavailable is not null, unavailable ?? "");
        Assert.SkipUnless(OperatingSystem.IsLinux(), "run.sh is for Debian.");
        var home = Path.Combine(Path.GetTempPath(), "um-run-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(home);
        // The postgres user must enter the folder, as it must enter a real checkout.
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var port = CliTests.FreePort();
        var env = new Dictionary<string, string?>
        {
            ["URBANMONITOR_HOME"] = home,
            ["URBANMONITOR_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["URBANMONITOR_PG_PORT"] = CliTests.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["URBANMONITOR_DATA"] = Path.Combine(home, "no-shared-data"),
        };
        try
        {
            var first = await ServeUntilReadyThenStop(env, port);
            Assert.Contains("synthetic", first.Cities);
            // The demo users, with tokens the running service accepted (checked while it served).
            using (var users = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(home, "demo-users.json"), TestContext.Current.CancellationToken)))
            {
                var roles = users.RootElement.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("role").GetString()).ToHashSet();
                Assert.Superset(new HashSet<string?> { "admin", "land-officer", "supervisor", "planner", "gis-reader", "community-facilitator" }, roles);
            }
            Assert.Equal(7, first.AcceptedTokens);
            Assert.Contains("Creating a private PostgreSQL cluster", first.Log);
            Assert.False(File.Exists(Path.Combine(home, "pg", "postmaster.pid")), "the cluster is stopped after SIGTERM");

            var second = await ServeUntilReadyThenStop(env, port);
            Assert.DoesNotContain("Creating a private PostgreSQL cluster", second.Log);
            Assert.Contains("synthetic: already loaded", second.Log);
            Assert.False(File.Exists(Path.Combine(home, "pg", "postmaster.pid")));
        }
        finally
        {
            if (File.Exists(Path.Combine(home, "pg", "postmaster.pid")))
                await Repo.RunAsync("runuser", ["-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", Path.Combine(home, "pg"), "-m", "immediate", "stop"]);
            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task<(string Cities, string Log, int AcceptedTokens)> ServeUntilReadyThenStop(Dictionary<string, string?> env, int port)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        psi.ArgumentList.Add("run.sh");
        psi.Environment.Remove("URBANMONITOR_DB");
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        p.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(6);
        var ready = false;
        while (!ready && DateTime.UtcNow < deadline && !p.HasExited)
        {
            try { ready = (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (!ready) await Task.Delay(500);
        }
        string LogText() { lock (log) return log.ToString(); }
        Assert.True(ready, "run.sh never became ready:\n" + LogText());
        var cities = await http.GetStringAsync("/api/cities");
        using (JsonDocument.Parse(cities)) { }
        var accepted = 0;
        using (var users = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(env["URBANMONITOR_HOME"]!, "demo-users.json"))))
            foreach (var u in users.RootElement.GetProperty("users").EnumerateArray())
            {
                using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me");
                me.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", u.GetProperty("token").GetString());
                if ((await http.SendAsync(me)).StatusCode == HttpStatusCode.OK) accepted++;
            }

        Assert.Equal(0, Posix.Kill(p.Id, 15));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        Assert.NotEqual(0, p.ExitCode); // 143: ended by SIGTERM, as a shell reports it
        return (cities, LogText(), accepted);
    }

    private static class Posix
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
