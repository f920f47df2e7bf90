using Npgsql;
using UrbanMonitor.Database.Registration;

namespace UrbanMonitor.Api.Registration;

/// <summary>Keeps the planner's statistics of the partitioned registry tables current, once a minute: autovacuum
/// analyzes each city's partition as it changes, never the partitioned table as a whole (migration 0144).</summary>
internal sealed partial class RegistryStatisticsKeeper(NpgsqlDataSource db, ILogger<RegistryStatisticsKeeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var analyzed = await RegistryStatistics.RefreshAsync(db, force: false, stoppingToken);
                if (analyzed.Count > 0) LogAnalyzed(logger, string.Join(", ", analyzed));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or TimeoutException) { LogFailed(logger, e.Message); }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Analyzed the partitioned tables {Tables}")]
    private static partial void LogAnalyzed(ILogger logger, string tables);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registry statistics skipped this round: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
