using System.Text.Json;
using Npgsql;

namespace UrbanMonitor.Api.Tiles;

/// <summary>
/// Listens on its own connection for <c>tiles_changed</c> (sent by the triggers of 0003_tiles.sql at commit) and
/// evicts the cached tiles each edit touched. While it is not connected the cache is off, so no stale tile is served;
/// after a reconnect the cache starts empty.
/// </summary>
internal sealed partial class TileInvalidationListener(NpgsqlDataSource db, TileCache cache, ILogger<TileInvalidationListener> logger)
    : BackgroundService
{
    public const string Channel = "tiles_changed";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand("LISTEN " + Channel, conn))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                cache.Enable(await TileQueries.VersionsAsync(conn, stoppingToken));
                LogListening(logger);
                delay = TimeSpan.FromSeconds(1);
                while (!stoppingToken.IsCancellationRequested)
                {
                    // A quiet connection is pinged now and then, so a dead one is noticed.
                    if (!await conn.WaitAsync(TimeSpan.FromSeconds(30), stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", conn);
                        await ping.ExecuteNonQueryAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                cache.Disable();
                LogLost(logger, e.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));
            }
        }
        cache.Disable();
    }

    private void OnNotification(string payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var root = doc.RootElement;
            var layer = root.GetProperty("layer").GetString() ?? "";
            var version = root.GetProperty("version").GetInt64();
            List<double[]>? boxes = null;
            if (!(root.TryGetProperty("all", out var all) && all.ValueKind == JsonValueKind.True))
            {
                boxes = [];
                foreach (var side in new[] { "old", "new" })
                    if (root.TryGetProperty(side, out var list))
                        foreach (var box in list.EnumerateArray())
                            boxes.Add(box.EnumerateArray().Select(v => v.GetDouble()).ToArray());
            }
            var evicted = cache.Invalidate(layer, version, boxes);
            LogInvalidated(logger, layer, version, evicted);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // An unreadable message cannot say what changed: forget everything rather than serve stale tiles.
            cache.Disable();
            LogBadPayload(logger, payload);
            cache.Enable(new Dictionary<string, long>());
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tile cache on: listening for edits on channel tiles_changed")]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tile cache off: cannot listen for edits ({Reason}); retrying in {Seconds} s")]
    private static partial void LogLost(ILogger logger, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Layer {Layer} is now version {Version}; {Evicted} cached tiles evicted")]
    private static partial void LogInvalidated(ILogger logger, string layer, long version, int evicted);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unreadable tiles_changed message, cache cleared: {Payload}")]
    private static partial void LogBadPayload(ILogger logger, string payload);
}
