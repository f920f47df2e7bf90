using System.Diagnostics;

namespace UrbanMonitor.Api.Tests.Infrastructure;

/// <summary>Paths in the checkout, and a way to run its scripts and programs as a user would.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>The shared real data sets beside the project (<c>../shared/data</c>), or null when absent.</summary>
    public static string? SharedData
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("URBANMONITOR_DATA") is { Length: > 0 } d ? d : Path.Combine(Root, "..", "shared", "data");
            return Directory.Exists(dir) ? Path.GetFullPath(dir) : null;
        }
    }

    /// <summary>The CLI built with the tests (same configuration).</summary>
    public static string CliDll
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0
            return Path.Combine(Root, "src", "UrbanMonitor.Cli", "bin", configuration, "net10.0", "urbanmonitor.dll");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "UrbanMonitor.sln"))) return dir.FullName;
        throw new InvalidOperationException("UrbanMonitor.sln not found above " + AppContext.BaseDirectory);
    }

    public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    /// <summary>Runs a program to completion with extra environment variables; kills it after <paramref name="timeout"/>.</summary>
    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string?>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("URBANMONITOR_DB");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time. Output so far: {await stdout}{await stderr}");
        }
        return new ProcessResult(p.ExitCode, await stdout, await stderr);
    }
}
