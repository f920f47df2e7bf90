using Microsoft.Extensions.Options;
using Npgsql;
using UrbanMonitor.Database.Indicators;

namespace UrbanMonitor.Api.Indicators;

/// <summary>Settings of the incremental indicator updater (section <c>Indicators</c>, env <c>URBANMONITOR_Indicators__…</c>).</summary>
public sealed class IndicatorOptions
{
    /// <summary>Keep stored results current as properties, rights and settlements change (default true).</summary>
    public bool Incremental { get; set; } = true;

    /// <summary>Seconds between queue checks when no notification arrives (a missed NOTIFY is caught here); default 30.</summary>
    public int PollSeconds { get; set; } = 30;
}

/// <summary>
/// Recomputes the stored indicators of dirty districts: LISTENs on <c>indicators_dirty</c> (sent at commit by the
/// triggers that fill <c>indicator_dirty</c>) and drains the queue, so a registration rewrites only its district's
/// results and the city's row. Polls as well, so a lost connection loses no work.
/// </summary>
public sealed class IndicatorUpdater(NpgsqlDataSource db, IOptions<IndicatorOptions> options, ILogger<IndicatorUpdater> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Incremental) return;
        var poll = TimeSpan.FromSeconds(Math.Max(1, options.Value.PollSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                var signalled = new SemaphoreSlim(0);
                conn.Notification += (_, _) => signalled.Release();
                await using (var listen = new NpgsqlCommand("LISTEN indicators_dirty", conn)) await listen.ExecuteNonQueryAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                {
                    var report = await IndicatorStore.UpdateDirtyAsync(db, stoppingToken);
                    if (report.Rewritten.Count > 0)
                        log.LogInformation("Indicators: rewrote {Count} stored results ({Districts}) in {Ms:F1} ms", report.Rewritten.Count,
                            string.Join(", ", report.Rewritten.Select(x => $"{x.City}:{(x.District is "" ? "city" : x.District)}").Distinct()), report.Elapsed.TotalMilliseconds);
                    // Wait for a notification (or the poll interval); drain any others that came meanwhile.
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(poll);
                    try { await conn.WaitAsync(timeout.Token); }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { }
                    while (signalled.CurrentCount > 0) await signalled.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                log.LogWarning(e, "Indicators: the incremental updater failed; retrying in {Seconds} s", poll.TotalSeconds);
                try { await Task.Delay(poll, stoppingToken); } catch (OperationCanceledException) { return; }
            }
        }
    }
}
