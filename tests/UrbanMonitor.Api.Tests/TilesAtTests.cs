using System.Net;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary><c>?at=</c> on vector tiles: the registry as it was, read from the property versions.</summary>
public class TilesAtTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpStatusCode Status, byte[] Bytes, string? ETag)> GetAsync(string url)
    {
        using var client = service.Api.CreateClient();
        using var r = await client.GetAsync(url, Ct);
        return (r.StatusCode, await r.Content.ReadAsByteArrayAsync(Ct), r.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task ATileAtAnEarlierInstantShowsTheParcelAsItWasBeforeItsEdit()
    {
        var id = await service.Db.ScalarAsync<long>("SELECT min(id) FROM properties");
        var lon = await service.Db.ScalarAsync<double>("SELECT ST_X(ST_Centroid(geom)) FROM properties WHERE id = $1", id);
        var lat = await service.Db.ScalarAsync<double>("SELECT ST_Y(ST_Centroid(geom)) FROM properties WHERE id = $1", id);
        const int z = 17;
        var tile = UrbanMonitor.Domain.Tiles.TileMath.TileAt(lon, lat, z);
        var url = $"/tiles/properties/{z}/{tile.X}/{tile.Y}.mvt";

        var before = await GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, before.Status);
        var t0 = await service.Db.ScalarAsync<DateTime>("SELECT clock_timestamp()");
        await Task.Delay(20, Ct);

        // An edit as the registry makes it: the open version closes, version 2 (the parcel shrunk by 10 %) opens.
        await service.Db.ScalarAsync<long>("""
            WITH closed AS (UPDATE property_versions SET valid_to = clock_timestamp() WHERE property_id = $1 AND valid_to IS NULL RETURNING *),
                 v2 AS (INSERT INTO property_versions (city_id, property_id, version, valid_from, status, code, district_code, block, parcel, attributes, geom, reason)
                        SELECT city_id, property_id, 2, valid_to, status, code, district_code, block, parcel, attributes,
                               ST_Multi(ST_Translate(ST_Scale(geom, 0.9, 0.9), ST_X(ST_Centroid(geom)) * 0.1, ST_Y(ST_Centroid(geom)) * 0.1)), 'shrunk in a test'
                        FROM closed RETURNING geom),
                 p AS (UPDATE properties SET geom = (SELECT geom FROM v2), version = 2 WHERE id = $1 RETURNING 1)
            SELECT count(*) FROM p
            """, id);

        // The cached tile is evicted when the edit's NOTIFY arrives, a moment after the commit.
        var now = await GetAsync(url);
        for (var i = 0; i < 50 && now.Bytes.AsSpan().SequenceEqual(before.Bytes); i++)
        {
            await Task.Delay(100, Ct);
            now = await GetAsync(url);
        }
        Assert.NotEqual(before.Bytes, now.Bytes);
        var then = await GetAsync($"{url}?at={Uri.EscapeDataString(t0.ToUniversalTime().ToString("O"))}");
        Assert.Equal(HttpStatusCode.OK, then.Status);
        Assert.Equal(before.Bytes, then.Bytes);
        Assert.Equal(before.ETag, then.ETag);

        var later = await GetAsync($"{url}?at={Uri.EscapeDataString(DateTime.UtcNow.AddMinutes(1).ToString("O"))}");
        Assert.Equal(now.Bytes, later.Bytes);
    }

    [Theory]
    [InlineData("/tiles/properties/17/1/1.mvt?at=yesterday")]
    [InlineData("/tiles/properties/17/1/1.png?at=2026-01-01")]
    public async Task ABadAtOrAtOnARasterTileIsA400Problem(string url)
    {
        using var client = service.Api.CreateClient();
        using var r = await client.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task BeforeAnyParcelWasSurveyedTheTileIsEmpty()
    {
        var (status, _, _) = await GetAsync("/tiles/properties/17/93585/52149.mvt?at=2000-01-01");
        Assert.Equal(HttpStatusCode.NoContent, status);
    }
}
