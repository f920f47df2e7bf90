using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using UrbanMonitor.Database;

namespace UrbanMonitor.Cli;

/// <summary>Options every database command shares: the connection string from --db or URBANMONITOR_DB.</summary>
public class DatabaseSettings : CommandSettings
{
    [CommandOption("--db <CONNECTION>")]
    [Description("Npgsql connection string; defaults to the URBANMONITOR_DB environment variable.")]
    public string? Db { get; init; }

    public string ConnectionString => Db ?? Environment.GetEnvironmentVariable("URBANMONITOR_DB") ?? "";

    public string DbSource => Db is not null ? "the --db option" : "URBANMONITOR_DB";

    public override ValidationResult Validate() => string.IsNullOrWhiteSpace(ConnectionString)
        ? ValidationResult.Error("No database given: pass --db \"Host=…;Database=…\" or set URBANMONITOR_DB.")
        : ValidationResult.Success();
}

/// <summary>Runs a database command and turns connection failures into one clear paragraph and exit code 2.</summary>
public static class Guard
{
    public static async Task<int> RunAsync(DatabaseSettings settings, Func<Task<int>> body)
    {
        try
        {
            // Parse first, so a malformed string is explained before anything connects.
            _ = new Npgsql.NpgsqlConnectionStringBuilder(settings.ConnectionString);
            return await body();
        }
        catch (Exception e) when (ConnectionDiagnostics.Explain(e, settings.ConnectionString, settings.DbSource) is { } message)
        {
            Console.Error.WriteLine("error: " + message);
            return 2;
        }
        catch (UrbanMonitor.Database.Auth.UserRejectedException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 5;
        }
        catch (ArgumentException e) when (e.Message.Contains("signing key", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 5;
        }
        catch (MigrationFailedException e)
        {
            Console.Error.WriteLine($"error: {e.Message} Nothing of {e.Script} was applied; earlier migrations stay.");
            return 3;
        }
    }
}
