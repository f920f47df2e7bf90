using Npgsql;

namespace UrbanMonitor.Api.Tiles;

/// <summary>
/// Announces the edits of transactions that left their announcements until after their commit (migration 0123): bumps
/// the changed layers' versions and sends <c>tiles_changed</c> / <c>indicators_dirty</c> for all of them in one short
/// transaction, so concurrent registrations commit side by side instead of one WAL flush after the other.
/// A writer sends <see cref="DeferCommand"/> in its transaction and awaits <see cref="AnnounceAsync"/> after the
/// commit: callers that arrive while an announcement runs share the next one. A sweep at start and every few seconds
/// announces what a crash or a cancelled request left queued.
/// </summary>
public sealed partial class TileVersionFlusher(NpgsqlDataSource db, ILogger<TileVersionFlusher> logger) : BackgroundService
{
    private static readonly TimeSpan Sweep = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim gate = new(1, 1);
    private long requested;
    private long announced;

    /// <summary>The statement that makes the rest of the transaction leave its announcements to <see cref="AnnounceAsync"/>.</summary>
    public static NpgsqlBatchCommand DeferCommand() => new("SELECT set_config('urbanmonitor.announce', 'after-commit', true)");

    /// <summary>Returns once everything committed before the call has been announced. A database error is logged, not
    /// thrown: the writer's commit stands, and the next announcement or sweep takes its changes.</summary>
    public async Task AnnounceAsync()
    {
        var ticket = Interlocked.Increment(ref requested);
        await gate.WaitAsync();
        try
        {
            // An announcement that started after this caller's commit has covered it.
            if (Volatile.Read(ref announced) >= ticket) return;
            var upTo = Volatile.Read(ref requested);
            await AnnouncePendingAsync(CancellationToken.None);
            Volatile.Write(ref announced, upTo);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
        {
            LogFailed(logger, e.Message);
        }
        finally
        {
            gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await gate.WaitAsync(stoppingToken);
                try { await AnnouncePendingAsync(stoppingToken); }
                finally { gate.Release(); }
                await Task.Delay(Sweep, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                LogFailed(logger, e.Message);
                try { await Task.Delay(Sweep, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private async Task AnnouncePendingAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT um_announce_pending()");
        await cmd.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Announcing queued edits failed ({Reason}); the next sweep retries")]
    private static partial void LogFailed(ILogger logger, string reason);
}
