using Microsoft.Extensions.Options;
using Npgsql;
using UrbanMonitor.Database;

namespace UrbanMonitor.Api.Hosting;

/// <summary>At start-up, says in one clear log line when the database cannot be reached or is not migrated.
/// The service still starts, so /health answers and /health/ready reports the problem.</summary>
internal sealed partial class DatabaseStartupProbe(NpgsqlDataSource dataSource, IOptions<DatabaseOptions> options, ILogger<DatabaseStartupProbe> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var pending = await Migrator.PendingAsync(dataSource, stoppingToken);
            if (pending.Count > 0) LogPending(logger, string.Join(", ", pending));
            else LogReady(logger, ConnectionDiagnostics.Describe(options.Value.ConnectionString));
        }
        catch (Exception e) when (ConnectionDiagnostics.Explain(e, options.Value.ConnectionString, "URBANMONITOR_DB") is { } message)
        {
            LogUnreachable(logger, message);
        }
        catch (NpgsqlException e)
        {
            LogUnreachable(logger, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database ready: {Target}")]
    private static partial void LogReady(ILogger logger, string target);

    [LoggerMessage(Level = LogLevel.Error, Message = "Database is not migrated; pending: {Pending}. Run 'urbanmonitor migrate'.")]
    private static partial void LogPending(ILogger logger, string pending);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogUnreachable(ILogger logger, string message);
}
