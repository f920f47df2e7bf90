using Microsoft.Extensions.Options;
using UrbanMonitor.Api.Tiles;

namespace UrbanMonitor.Api.Tests;

/// <summary>The in-memory tile cache on its own (no database: these are its bookkeeping rules).</summary>
public class TileCacheTests
{
    private static TileCache NewCache(int megabytes = 1)
    {
        var cache = new TileCache(Options.Create(new TilesOptions { CacheMegabytes = megabytes }));
        cache.Enable(new Dictionary<string, long> { ["properties"] = 7 });
        return cache;
    }

    [Fact]
    public void TheCacheStaysWithinItsByteBoundDroppingTheLeastRecentlyUsedTiles()
    {
        var cache = NewCache(megabytes: 1);
        var first = new TileKey("properties", 16, 0, 0, TileFormat.Mvt);
        cache.Put(first, new TileEntry(new byte[100_000]), cache.Generations(first.LayerIds));
        for (var i = 1; i <= 30; i++)
        {
            Assert.NotNull(cache.Get(first)); // kept in use
            var key = new TileKey("properties", 16, i, 0, TileFormat.Mvt);
            cache.Put(key, new TileEntry(new byte[100_000]), cache.Generations(key.LayerIds));
        }
        Assert.InRange(cache.Bytes, 1, 1024 * 1024);
        Assert.True(cache.Contains(first), "the tile read all along survives");
        Assert.False(cache.Contains(new TileKey("properties", 16, 1, 0, TileFormat.Mvt)), "an old unread tile went first");
    }

    [Fact]
    public async Task ConcurrentRequestsForAMissingTileShareOneComputation()
    {
        var cache = NewCache();
        var key = new TileKey("properties", 16, 5, 5, TileFormat.Mvt);
        var calls = 0;
        var gate = new TaskCompletionSource();
        async Task<byte[]> Compute()
        {
            Interlocked.Increment(ref calls);
            await gate.Task;
            return [1, 2, 3];
        }
        var requests = Enumerable.Range(0, 8).Select(_ => cache.GetOrAddAsync(key, Compute)).ToArray();
        gate.SetResult();
        var entries = await Task.WhenAll(requests);
        Assert.Equal(1, calls);
        Assert.All(entries, e => Assert.Equal(entries[0].ETag, e.ETag));
        Assert.True(cache.Contains(key));
    }

    [Fact]
    public void ATileComputedWhileItsLayerWasEditedIsNotStoredAndEditsEvictOnlyTilesTheirBoxesReach()
    {
        var cache = NewCache();
        var key = new TileKey("properties,settlements", 16, 44_979, 25_606, TileFormat.Mvt);
        var before = cache.Generations(key.LayerIds);
        cache.Invalidate("settlements", 3, [[0, 0, 1, 1]]);
        cache.Put(key, new TileEntry([1]), before);
        Assert.False(cache.Contains(key), "the tile may hold data from before the edit");

        cache.Put(key, new TileEntry([1]), cache.Generations(key.LayerIds));
        var stops = new TileKey("transit-stops", 16, 44_979, 25_606, TileFormat.Png);
        cache.Put(stops, new TileEntry([2]), cache.Generations(stops.LayerIds));
        // Far away (0°E 0°N): nothing evicted; the version is heard anyway.
        Assert.Equal(0, cache.Invalidate("properties", 8, [[0, 0, 0.001, 0.001]]));
        Assert.Equal(8, cache.VersionOf("properties"));
        // A box over the tile itself: of the tiles there, only those holding the edited layer go.
        var (w, s, e, n) = UrbanMonitor.Domain.Tiles.TileMath.Bounds(16, 44_979, 25_606);
        Assert.Equal(1, cache.Invalidate("properties", 9, [[w, s, e, n]]));
        Assert.False(cache.Contains(key));
        Assert.True(cache.Contains(stops));
    }
}

public class TileCacheProbingTests
{
    [Fact]
    public void ASmallEditInABigCacheEvictsExactlyTheTilesOverItAtEveryZoomInEveryFormatAndLayerList()
    {
        var cache = new TileCache(Options.Create(new TilesOptions { CacheMegabytes = 64 }));
        cache.Enable(new Dictionary<string, long>());
        void Add(TileKey k) => cache.Put(k, new TileEntry([1, 2, 3]), cache.Generations(k.LayerIds));
        // 2,000 tiles elsewhere, so that looking addresses up is cheaper than scanning.
        for (var i = 0; i < 2_000; i++) Add(new TileKey("properties", 16, 1_000 + i % 50, 2_000 + i / 50, TileFormat.Mvt));
        // A parcel-sized box in the middle of tile 16/44979/25606 (~69°E, 35°N).
        var (w, s, e, n) = UrbanMonitor.Domain.Tiles.TileMath.Bounds(16, 44_979, 25_606);
        var (cx, cy) = ((w + e) / 2, (s + n) / 2);
        double[] box = [cx - 0.0001, cy - 0.0001, cx + 0.0001, cy + 0.0001];
        TileKey[] over =
        [
            new("properties", 16, 44_979, 25_606, TileFormat.Mvt),
            new("properties", 16, 44_979, 25_606, TileFormat.Png2x),
            new("properties,settlements", 16, 44_979, 25_606, TileFormat.Mvt),
            new("properties", 15, 22_489, 12_803, TileFormat.Mvt),
            new("properties", 18, 44_979 * 4 + 2, 25_606 * 4 + 2, TileFormat.Png),
        ];
        TileKey[] beside =
        [
            new("settlements", 16, 44_979, 25_606, TileFormat.Mvt),      // another layer
            new("properties", 16, 44_981, 25_606, TileFormat.Mvt),       // two tiles east
            new("properties", 18, 44_979 * 4, 25_606 * 4, TileFormat.Png), // same z16 tile, another z18 quarter
        ];
        foreach (var k in over.Concat(beside)) Add(k);

        Assert.Equal(over.Length, cache.Invalidate("properties", 2, [box]));
        Assert.All(over, k => Assert.False(cache.Contains(k), $"{k} should be evicted"));
        Assert.All(beside, k => Assert.True(cache.Contains(k), $"{k} should stay"));
        Assert.Equal(2_000 + beside.Length, cache.Count);
    }
}

public class TilesWithoutDatabaseTests
{
    [Fact]
    public async Task AnUnreachableDatabaseMakesTileRequests503ProblemsNotCrashes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var api = new UrbanMonitor.Api.Tests.Infrastructure.ApiFactory("Host=127.0.0.1;Port=1;Database=nowhere;Username=nobody;Timeout=2");
        using var client = api.CreateClient();
        foreach (var url in new[] { "/tiles/properties/16/0/0.mvt", "/tiles/properties/16/0/0.png", "/tiles/properties.json" })
        {
            using var response = await client.GetAsync(url, ct);
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }
}
