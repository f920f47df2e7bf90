using System.Net;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;

namespace UrbanMonitor.Api.Tests;

/// <summary>The optional disk tier of the tile cache: kept across restarts, invalidated precisely.</summary>
public class TileDiskCacheTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (int X, int Y) Tile(double lon, double lat, int z)
    {
        var t = UrbanMonitor.Domain.Tiles.TileMath.TileAt(lon, lat, z);
        return (t.X, t.Y);
    }

    [Fact]
    public async Task TilesSurviveARestartOnDiskAndAnEditDeletesOnlyTheFilesItTouches()
    {
        await new DemoLoader(db.DataSource).LoadSyntheticAsync(2_000, 42, Ct);
        var dir = Directory.CreateTempSubdirectory("um-tiles-").FullName;
        var settings = new Dictionary<string, string?> { ["Tiles:DiskCacheDirectory"] = dir };
        try
        {
            const int z = 17;
            var first = await db.ScalarAsync<long>("SELECT min(id) FROM properties");
            var far = await db.ScalarAsync<long>("SELECT max(id) FROM properties");
            var (x1, y1) = Tile(await db.ScalarAsync<double>("SELECT ST_X(ST_Centroid(geom)) FROM properties WHERE id = $1", first),
                                await db.ScalarAsync<double>("SELECT ST_Y(ST_Centroid(geom)) FROM properties WHERE id = $1", first), z);
            var (x2, y2) = Tile(await db.ScalarAsync<double>("SELECT ST_X(ST_Centroid(geom)) FROM properties WHERE id = $1", far),
                                await db.ScalarAsync<double>("SELECT ST_Y(ST_Centroid(geom)) FROM properties WHERE id = $1", far), z);
            Assert.NotEqual((x1, y1), (x2, y2));
            var near = Path.Combine(dir, "properties", $"{z}", $"{x1}", $"{y1}.mvt");
            var away = Path.Combine(dir, "properties", $"{z}", $"{x2}", $"{y2}.mvt");

            byte[] served;
            await using (var api = new ApiFactory(db.ConnectionString, settings))
            {
                using var client = api.CreateClient();
                await WaitForCacheAsync(api);
                served = await client.GetByteArrayAsync($"/tiles/properties/{z}/{x1}/{y1}.mvt", Ct);
                await client.GetByteArrayAsync($"/tiles/properties/{z}/{x2}/{y2}.mvt", Ct);
                Assert.Equal(served, await File.ReadAllBytesAsync(near, Ct));
                Assert.True(File.Exists(away));
            }

            // A restarted service serves the file it finds (proved by a marker written into it).
            var marker = served.Concat(new byte[] { 0x1a, 0x00 }).ToArray();
            await File.WriteAllBytesAsync(near, marker, Ct);
            await using (var api = new ApiFactory(db.ConnectionString, settings))
            {
                using var client = api.CreateClient();
                await WaitForCacheAsync(api);
                Assert.Equal(marker, await client.GetByteArrayAsync($"/tiles/properties/{z}/{x1}/{y1}.mvt", Ct));

                // Moving the first parcel deletes its tile's file, not the far one.
                await db.ScalarAsync<long>("WITH u AS (UPDATE properties SET geom = ST_Multi(ST_Translate(geom, 0.00002, 0)) WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", first);
                for (var i = 0; i < 50 && File.Exists(near); i++) await Task.Delay(100, Ct);
                Assert.False(File.Exists(near), "the edited tile's file is deleted");
                Assert.True(File.Exists(away), "a tile the edit did not touch keeps its file");
                Assert.NotEqual(marker, await client.GetByteArrayAsync($"/tiles/properties/{z}/{x1}/{y1}.mvt", Ct));
            }

            // An edit while no service listens: the next start finds the layer's version changed and wipes its files.
            Assert.True(File.Exists(away));
            await db.ScalarAsync<long>("WITH u AS (UPDATE properties SET status = 'verified' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", far);
            await using (var api = new ApiFactory(db.ConnectionString, settings))
            {
                using var client = api.CreateClient();
                await WaitForCacheAsync(api);
                Assert.False(File.Exists(away), "files made before an unheard edit are wiped at start-up");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    // The cache (memory and disk) works only once the invalidation listener is connected; wait for that.
    private static async Task WaitForCacheAsync(ApiFactory api)
    {
        var cache = (UrbanMonitor.Api.Tiles.TileCache)api.Services.GetService(typeof(UrbanMonitor.Api.Tiles.TileCache))!;
        for (var i = 0; i < 100 && !cache.Enabled; i++) await Task.Delay(50, Ct);
        Assert.True(cache.Enabled, "the tile cache never started listening");
    }
}
