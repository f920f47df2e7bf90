using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using UrbanMonitor.Database;

namespace UrbanMonitor.Api.Hosting;

/// <summary>Ready only when every migration this build knows has been applied.</summary>
public sealed class MigrationsHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var pending = await Migrator.PendingAsync(dataSource, cancellationToken);
            return pending.Count == 0
                ? HealthCheckResult.Healthy($"{Migrator.KnownScripts.Count} migrations applied.")
                : HealthCheckResult.Unhealthy($"Pending migrations: {string.Join(", ", pending)}. Run 'urbanmonitor migrate'.");
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy("Cannot read the migration journal: " + e.Message);
        }
    }
}
