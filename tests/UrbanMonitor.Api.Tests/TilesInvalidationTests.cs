using System.Net;
using System.Text.Json;
using SkiaSharp;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Api.Tiles;
using UrbanMonitor.Domain.Tiles;

namespace UrbanMonitor.Api.Tests;

/// <summary>Its own database (these tests edit data), same synthetic city.</summary>
public sealed class EditableTilesService : SyntheticTilesService;

public class TilesInvalidationTests(EditableTilesService service) : IClassFixture<EditableTilesService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> GetAsync(string url)
    {
        _ = service.Db.ConnectionString; // skips when PostGIS is unreachable (not on CI)
        using var client = service.Api.CreateClient();
        var response = await client.GetAsync(url, Ct);
        await response.Content.LoadIntoBufferAsync(Ct);
        return response;
    }

    [Fact]
    public async Task MovingOneParcelChangesItsTilesETagWhileAFarTileKeepsItsETagAndStaysCached()
    {
        await service.CacheCaughtUpAsync("properties");
        var near = await service.TileOfFirstParcelAsync(18);
        // A tile of the same zoom at the far corner of the city, holding the parcel with the highest id.
        var lon = await service.Db.ScalarAsync<double>("SELECT ST_X(ST_Centroid(geom)) FROM properties ORDER BY id DESC LIMIT 1");
        var lat = await service.Db.ScalarAsync<double>("SELECT ST_Y(ST_Centroid(geom)) FROM properties ORDER BY id DESC LIMIT 1");
        var far = TileMath.TileAt(lon, lat, 18);
        Assert.True(Math.Abs(far.X - near.X) > 2 || Math.Abs(far.Y - near.Y) > 2, $"{near} and {far} are not far apart");
        var nearZ15 = await service.TileOfFirstParcelAsync(15);

        var nearBefore = (await GetAsync($"/tiles/properties/{near}.mvt")).Headers.ETag!.Tag;
        var farBefore = (await GetAsync($"/tiles/properties/{far}.mvt")).Headers.ETag!.Tag;
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/tiles/properties/{nearZ15}.mvt")).StatusCode);
        var nearKey = new TileKey("properties", near.Z, near.X, near.Y, TileFormat.Mvt);
        var nearZ15Key = new TileKey("properties", nearZ15.Z, nearZ15.X, nearZ15.Y, TileFormat.Mvt);
        var farKey = new TileKey("properties", far.Z, far.X, far.Y, TileFormat.Mvt);
        Assert.True(service.Cache.Enabled, "the cache is on");
        Assert.True(service.Cache.Contains(nearKey), $"{near} is cached");
        Assert.True(service.Cache.Contains(farKey), $"{far} is cached");
        Assert.True(service.Cache.Contains(nearZ15Key), $"{nearZ15} is cached");

        // Shift the first parcel by about 3 m, as an edit of its boundary would.
        await service.Db.ScalarAsync<int>(
            "WITH e AS (UPDATE properties SET geom = ST_Translate(geom, 0.00003, 0) WHERE id = (SELECT min(id) FROM properties) RETURNING 1) SELECT count(*)::int FROM e");
        await service.CacheCaughtUpAsync("properties");

        Assert.False(service.Cache.Contains(nearKey), "the edited parcel's tile is evicted");
        Assert.False(service.Cache.Contains(nearZ15Key), "at every zoom");
        Assert.True(service.Cache.Contains(farKey), "a tile the edit does not reach stays cached");
        var nearAfter = (await GetAsync($"/tiles/properties/{near}.mvt")).Headers.ETag!.Tag;
        var farAfter = (await GetAsync($"/tiles/properties/{far}.mvt")).Headers.ETag!.Tag;
        Assert.NotEqual(nearBefore, nearAfter);
        Assert.Equal(farBefore, farAfter);
    }

    [Fact]
    public async Task EveryCommittedWriteBumpsTheLayerVersionThatTileJsonPutsInTheTileUrls()
    {
        string TileUrl(HttpResponseMessage r) =>
            JsonDocument.Parse(r.Content.ReadAsStringAsync(Ct).Result).RootElement.GetProperty("tiles")[0].GetString()!;
        var before = TileUrl(await GetAsync("/tiles/transit-stops.json"));
        await service.Db.ScalarAsync<int>("WITH e AS (UPDATE transit_stops SET name = name || ' (moved)' WHERE id = (SELECT min(id) FROM transit_stops) RETURNING 1) SELECT count(*)::int FROM e");
        var after = TileUrl(await GetAsync("/tiles/transit-stops.json"));
        var v1 = long.Parse(before[(before.IndexOf("?v=", StringComparison.Ordinal) + 3)..], System.Globalization.CultureInfo.InvariantCulture);
        var v2 = long.Parse(after[(after.IndexOf("?v=", StringComparison.Ordinal) + 3)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(v1 + 1, v2);

        // A write that is rolled back changes nothing.
        await using (var conn = await service.Db.DataSource.OpenConnectionAsync(Ct))
        await using (var tx = await conn.BeginTransactionAsync(Ct))
        {
            await using var cmd = new Npgsql.NpgsqlCommand("UPDATE transit_stops SET name = 'x'", conn, tx);
            await cmd.ExecuteNonQueryAsync(Ct);
            await tx.RollbackAsync(Ct);
        }
        Assert.Equal(after, TileUrl(await GetAsync("/tiles/transit-stops.json")));
    }

    [Fact]
    public async Task AWriteIsAnnouncedOncePerStatementWithEachRowsBoxOrOneExtentForABulkStatement()
    {
        _ = service.Db.ConnectionString;
        await using var listener = await service.Db.DataSource.OpenConnectionAsync(Ct);
        var payloads = new System.Collections.Concurrent.ConcurrentQueue<string>();
        listener.Notification += (_, e) => payloads.Enqueue(e.Payload);
        await using (var listen = new Npgsql.NpgsqlCommand("LISTEN tiles_changed", listener))
            await listen.ExecuteNonQueryAsync(Ct);

        async Task<JsonElement> NextAsync()
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (payloads.IsEmpty)
            {
                Assert.True(DateTime.UtcNow < deadline, "no tiles_changed notification within 10 s");
                await listener.WaitAsync(TimeSpan.FromMilliseconds(200), Ct);
            }
            Assert.True(payloads.TryDequeue(out var payload));
            return JsonDocument.Parse(payload).RootElement.Clone();
        }

        var before = await service.Db.ScalarAsync<long>("SELECT version FROM layer_versions WHERE layer = 'properties'");
        await service.Db.ScalarAsync<int>("WITH e AS (UPDATE properties SET status = 'verified' WHERE id IN (SELECT id FROM properties ORDER BY id LIMIT 2) RETURNING 1) SELECT count(*)::int FROM e");
        var small = await NextAsync();
        Assert.Equal("properties", small.GetProperty("layer").GetString());
        Assert.Equal(before + 1, small.GetProperty("version").GetInt64());
        Assert.Equal(2, small.GetProperty("old").GetArrayLength());
        Assert.Equal(2, small.GetProperty("new").GetArrayLength());

        var rows = await service.Db.ScalarAsync<int>("WITH e AS (UPDATE properties SET status = 'verified' WHERE district_code = '1' RETURNING 1) SELECT count(*)::int FROM e");
        Assert.True(rows > 32);
        var bulk = await NextAsync();
        Assert.Equal(before + 2, bulk.GetProperty("version").GetInt64());
        var extent = Assert.Single(bulk.GetProperty("new").EnumerateArray().ToArray());
        var box = extent.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var xmin = await service.Db.ScalarAsync<double>("SELECT ST_XMin(ST_Extent(geom)) FROM properties WHERE district_code = '1'");
        Assert.Equal(xmin, box[0], 9);
        Assert.True(payloads.IsEmpty, "one statement, one notification");
    }

    [Fact]
    public async Task ArabicScriptLabelsAreShapedAndDrawnOnRasterTiles()
    {
        var code = await service.Db.ScalarAsync<string>("SELECT min(code) FROM settlements");
        var lon = await service.Db.ScalarAsync<double>("SELECT ST_X(ST_PointOnSurface(geom)) FROM settlements WHERE code = $1", code);
        var lat = await service.Db.ScalarAsync<double>("SELECT ST_Y(ST_PointOnSurface(geom)) FROM settlements WHERE code = $1", code);
        var t = TileMath.TileAt(lon, lat, 17);
        var url = $"/tiles/settlements/{t}.png";

        async Task<SKBitmap> RenderWithNameAsync(string name)
        {
            await service.Db.ScalarAsync<int>("WITH e AS (UPDATE settlements SET name = $1 WHERE code = $2 RETURNING 1) SELECT count(*)::int FROM e", name, code);
            await service.CacheCaughtUpAsync("settlements");
            var response = await GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync(Ct));
        }

        using var unlabelled = await RenderWithNameAsync("");
        using var dari = await RenderWithNameAsync("ناحیه اول");
        SKColor[] before = unlabelled.Pixels, after = dari.Pixels; // each read of Pixels copies the bitmap
        var changed = Enumerable.Range(0, before.Length).Count(i => before[i] != after[i]);
        Assert.True(changed > 100, $"the Dari label changed only {changed} pixels");
        Assert.True(TileRenderer.IsArabicScript("ناحیه اول"));
        Assert.False(TileRenderer.IsArabicScript("Rocinha"));
    }
}
