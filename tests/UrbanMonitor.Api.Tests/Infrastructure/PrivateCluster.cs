using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace UrbanMonitor.Api.Tests.Infrastructure;

/// <summary>A PostgreSQL cluster of a test's own (scripts/lib.sh, as ./run.sh starts one), for tests that stop, kill and
/// restart the database. Deleted when disposed.</summary>
public sealed class PrivateCluster : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "um-cluster-" + Guid.NewGuid().ToString("N")[..10]);

    public int Port { get; } = FreePort();

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=5;Command Timeout=60";

    /// <summary>A TCP port free on 127.0.0.1 just now.</summary>
    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private async Task LibAsync(string command)
    {
        var result = await Repo.RunAsync("bash", ["-c", $". scripts/lib.sh; {command}"], timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, $"{command}: {result.Output}");
    }

    public async Task InitAndStartAsync()
    {
        Directory.CreateDirectory(_dir);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        await LibAsync($"um_cluster_init '{_dir}/pg' --auth=trust");
        await StartAsync();
    }

    private string[] _settings = [];

    public Task StartAsync() => LibAsync($"um_cluster_start '{_dir}/pg' {Port} '{_dir}/run' fsync=on {string.Join(' ', _settings)}");

    /// <summary>Starts a hot standby of this (running) cluster on a port of its own (scripts/lib.sh
    /// <c>um_standby_create</c>: pg_basebackup -R, streaming replication), with extra server settings
    /// (<c>name=value</c>, no spaces).</summary>
    public async Task<PrivateCluster> StartStandbyAsync(params string[] settings)
    {
        var standby = new PrivateCluster { _settings = settings };
        Directory.CreateDirectory(standby._dir);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(standby._dir, (UnixFileMode)0b111_101_101);
        await LibAsync($"um_standby_create '{_dir}/pg' {Port} '{standby._dir}/pg'");
        await standby.StartAsync();
        return standby;
    }

    /// <summary>A clean, fast shutdown (pg_ctl stop -m fast).</summary>
    public Task StopAsync() => LibAsync($"um_cluster_stop '{_dir}/pg'");

    /// <summary>Kills the server with SIGKILL, as a power cut would; the next start recovers from the WAL.</summary>
    public async Task KillAsync()
    {
        var pid = (await File.ReadAllLinesAsync(Path.Combine(_dir, "pg", "postmaster.pid")))[0].Trim();
        // Every server process at once, as a power cut would; then wait until all are gone.
        await LibAsync($"pkill -9 -P {pid}; kill -9 {pid}; for i in $(seq 1 100); do kill -0 {pid} 2>/dev/null || pgrep -P {pid} >/dev/null || break; sleep 0.1; done; sleep 0.5");
    }

    /// <summary>Creates and migrates a database with the CLI.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        var cs = ConnectionString(name);
        var migrate = await Repo.RunAsync("dotnet", [Repo.CliDll, "migrate", "--create", "--db", cs]);
        Assert.True(migrate.ExitCode == 0, migrate.Output);
        return cs;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try { await StopAsync(); } catch (Exception e) when (e is Xunit.Sdk.XunitException or TimeoutException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
