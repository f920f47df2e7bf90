using Npgsql;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// The announcement of queued tile changes after a registration's commit (<c>um_announce_pending</c>, 0123 and 0142),
/// with two callers standing for two service instances: the second returns only once the first, which took its queued
/// change, has committed the layer's new version, so no instance answers 201 before TileJSON can show it.
/// </summary>
public class AnnouncementTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ACallerWaitsForTheAnnouncerThatTookItsChangeAndThenSeesTheNewVersion()
    {
        // A registration's commit: its tile change stays queued for the announcer (urbanmonitor.announce = after-commit).
        await using (var writer = await db.DataSource.OpenConnectionAsync(Ct))
        await using (var tx = await writer.BeginTransactionAsync(Ct))
        {
            await using var queue = new NpgsqlCommand("""
                SELECT set_config('urbanmonitor.announce', 'after-commit', true);
                INSERT INTO tiles_pending (layer, old_boxes, new_boxes, everything) VALUES ('properties', '[]', '[[67.0, 36.7, 67.01, 36.71]]', false);
                """, writer, tx);
            await queue.ExecuteNonQueryAsync(Ct);
            await tx.CommitAsync(Ct);
        }
        var before = await db.ScalarAsync<long>("SELECT coalesce((SELECT version FROM layer_versions WHERE layer = 'properties'), 1)");

        // Instance 1's announcer takes the queued change and has not committed yet.
        await using var first = await db.DataSource.OpenConnectionAsync(Ct);
        await using var firstTx = await first.BeginTransactionAsync(Ct);
        await using (var take = new NpgsqlCommand("SELECT um_announce_pending()", first, firstTx))
            Assert.Equal(1, Convert.ToInt32(await take.ExecuteScalarAsync(Ct)));

        // Instance 2's announcer, after its own registration's commit, must not return before instance 1's commits.
        await using var second = await db.DataSource.OpenConnectionAsync(Ct);
        var secondPid = second.ProcessID;
        await using var announce = new NpgsqlCommand("SELECT um_announce_pending()", second);
        var secondCall = announce.ExecuteScalarAsync(Ct);
        var waiting = false;
        for (var i = 0; i < 200 && !waiting && !secondCall.IsCompleted; i++)
        {
            waiting = await db.ScalarAsync<bool>("SELECT coalesce((SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1), false)", secondPid);
            if (!waiting) await Task.Delay(50, Ct);
        }
        Assert.False(secondCall.IsCompleted, "the second announcer returned while the first still held the queued change");
        Assert.True(waiting, "the second announcer should wait on the first one's lock");

        await firstTx.CommitAsync(Ct);
        Assert.Equal(0, Convert.ToInt32(await secondCall));
        Assert.Equal(before + 1, await db.ScalarAsync<long>("SELECT version FROM layer_versions WHERE layer = 'properties'"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM tiles_pending"));
    }
}
