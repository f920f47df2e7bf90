using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Api.Tiles;
using UrbanMonitor.Database.Indicators;
using UrbanMonitor.Domain.Tiles;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// The indicator choropleth: <c>/tiles/indicators/{z}/{x}/{y}.mvt?indicator=</c> carries each district's stored value,
/// the same as the indicators API gives; each indicator has its own tiles and data version, bumped only when a stored
/// district value changes.
/// </summary>
public class IndicatorTilesTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task RecomputedAsync()
    {
        if (await service.Db.ScalarAsync<long>("SELECT count(*) FROM indicator_results") > 0) return;
        var city = (await IndicatorEngine.FindCityAsync(service.Db.DataSource, "synthetic", Ct))!;
        await IndicatorStore.RecomputeCityAsync(service.Db.DataSource, city, null, Ct);
    }

    private async Task<List<(string Code, TileAddress Tile)>> DistrictTilesAsync(int z)
    {
        var list = new List<(string, TileAddress)>();
        await using var cmd = service.Db.DataSource.CreateCommand(
            "SELECT d.code, ST_X(p), ST_Y(p) FROM districts d JOIN cities c ON c.id = d.city_id, ST_PointOnSurface(d.geom) p WHERE c.slug = 'synthetic' ORDER BY d.code");
        await using var r = await cmd.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct)) list.Add((r.GetString(0), TileMath.TileAt(r.GetDouble(1), r.GetDouble(2), z)));
        return list;
    }

    private async Task<JsonElement> TileJsonAsync(HttpClient client, string indicator)
    {
        using var response = await client.GetAsync($"/tiles/indicators.json?indicator={Uri.EscapeDataString(indicator)}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
    }

    private static string TileUrl(JsonElement tileJson, TileAddress t) =>
        new Uri(tileJson.GetProperty("tiles")[0].GetString()!.Replace("{z}", t.Z.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{x}", t.X.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{y}", t.Y.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)).PathAndQuery;

    // MvtText writes string values in quotes.
    private static string Quoted(string s) => "\"" + s + "\"";

    private static async Task<MvtFeature> DistrictInTileAsync(HttpClient client, string url, string district)
    {
        using var response = await client.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var layer = Assert.Single(MvtText.Decode(await response.Content.ReadAsByteArrayAsync(Ct)));
        Assert.Equal("indicators", layer.Name);
        return Assert.Single(layer.Features, f => f.Properties["code"] == Quoted(district));
    }

    [Theory]
    [InlineData("11.1.1")]
    [InlineData("registration-coverage")]
    public async Task EachDistrictInTheTileCarriesTheValueTheIndicatorsApiGivesForIt(string indicator)
    {
        _ = service.Db.ConnectionString;
        await RecomputedAsync();
        using var client = service.Api.CreateClient();
        var tileJson = await TileJsonAsync(client, indicator);
        var template = tileJson.GetProperty("tiles")[0].GetString()!;
        Assert.Contains("indicator=" + Uri.EscapeDataString(indicator), template, StringComparison.Ordinal);
        Assert.Contains("v=", template, StringComparison.Ordinal);
        Assert.Equal("indicators", tileJson.GetProperty("vector_layers")[0].GetProperty("id").GetString());
        Assert.Contains("value", tileJson.GetProperty("vector_layers")[0].GetProperty("fields").EnumerateObject().Select(p => p.Name));

        var districts = await DistrictTilesAsync(14);
        Assert.True(districts.Count > 1);
        var values = new HashSet<string>();
        foreach (var (code, tile) in districts)
        {
            var feature = await DistrictInTileAsync(client, TileUrl(tileJson, tile), code);
            using var api = JsonDocument.Parse(await client.GetStringAsync($"/api/indicators/{Uri.EscapeDataString(indicator)}?city=synthetic&district={code}", Ct));
            var expected = api.RootElement.GetProperty("value");
            Assert.Equal(Quoted(indicator), feature.Properties["indicator"]);
            if (expected.ValueKind == JsonValueKind.Null)
            {
                Assert.False(feature.Properties.ContainsKey("value"), $"district {code}: a value in the tile where the API has none");
                Assert.Equal(Quoted(api.RootElement.GetProperty("reason").GetString()!), feature.Properties["reason"]);
            }
            else
            {
                Assert.Equal(expected.GetDouble(), double.Parse(feature.Properties["value"], CultureInfo.InvariantCulture), 9);
                values.Add(feature.Properties["value"]);
            }
        }
        Assert.NotEmpty(values);
    }

    [Fact]
    public async Task AChangedStoredValueBumpsOnlyThatIndicatorsVersionAndTheCachedTileShowsTheNewValue()
    {
        _ = service.Db.ConnectionString;
        await RecomputedAsync();
        using var client = service.Api.CreateClient();
        var cache = service.Api.Services.GetRequiredService<TileCache>();
        var (district, tile) = (await DistrictTilesAsync(14))[0];
        const string Coverage = "registration-coverage";

        var before = await TileJsonAsync(client, Coverage);
        var otherBefore = (await TileJsonAsync(client, "11.1.1")).GetProperty("tiles")[0].GetString();
        var old = await DistrictInTileAsync(client, TileUrl(before, tile), district);
        // The same tile address of another indicator is another tile (the code is part of the cache key).
        var slum = await DistrictInTileAsync(client, TileUrl(await TileJsonAsync(client, "11.1.1"), tile), district);
        Assert.Equal(Quoted("11.1.1"), slum.Properties["indicator"]);
        Assert.Equal(Quoted(Coverage), old.Properties["indicator"]);

        // Writing the same value again (a recompute that found nothing new) changes no version.
        var version = await service.Db.ScalarAsync<long>("SELECT coalesce((SELECT version FROM layer_versions WHERE layer = 'indicators:' || $1), 1)", Coverage);
        await service.Db.ScalarAsync<int>("WITH u AS (UPDATE indicator_results r SET value = r.value, computed_at = now() FROM cities c WHERE c.id = r.city_id AND c.slug = 'synthetic' AND r.code = $1 RETURNING 1) SELECT count(*)::int FROM u", Coverage);
        Assert.Equal(version, await service.Db.ScalarAsync<long>("SELECT coalesce((SELECT version FROM layer_versions WHERE layer = 'indicators:' || $1), 1)", Coverage));

        var original = await service.Db.ScalarAsync<double>(
            "SELECT r.value FROM indicator_results r JOIN cities c ON c.id = r.city_id WHERE c.slug = 'synthetic' AND r.code = $1 AND r.district_code = $2", Coverage, district);
        try
        {
            await ChangedValueAsync(client, cache, Coverage, district, tile, before, otherBefore, version, 42.5);
        }
        finally
        {
            // Other tests compare the tiles with the live API: put the computed value back.
            await service.Db.ScalarAsync<int>("""
                WITH u AS (UPDATE indicator_results r SET value = $3 FROM cities c
                           WHERE c.id = r.city_id AND c.slug = 'synthetic' AND r.code = $1 AND r.district_code = $2 RETURNING 1)
                SELECT count(*)::int FROM u
                """, Coverage, district, original);
        }
    }

    private async Task ChangedValueAsync(HttpClient client, TileCache cache, string indicator, string district, TileAddress tile,
        JsonElement before, string? otherBefore, long version, double newValue)
    {
        await service.Db.ScalarAsync<int>("""
            WITH u AS (UPDATE indicator_results r SET value = $3 FROM cities c
                       WHERE c.id = r.city_id AND c.slug = 'synthetic' AND r.code = $1 AND r.district_code = $2 RETURNING 1)
            SELECT count(*)::int FROM u
            """, indicator, district, newValue);
        var bumped = await service.Db.ScalarAsync<long>("SELECT version FROM layer_versions WHERE layer = 'indicators:' || $1", indicator);
        Assert.True(bumped > version, $"version {version} → {bumped}");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (cache.VersionOf("indicators:" + indicator) < bumped)
        {
            Assert.True(DateTime.UtcNow < deadline, "The tile cache did not hear the new version.");
            await Task.Delay(20, Ct);
        }

        var after = await TileJsonAsync(client, indicator);
        Assert.NotEqual(before.GetProperty("tiles")[0].GetString(), after.GetProperty("tiles")[0].GetString());
        Assert.Equal(otherBefore, (await TileJsonAsync(client, "11.1.1")).GetProperty("tiles")[0].GetString());
        var url = TileUrl(after, tile);
        Assert.Equal(newValue.ToString("R", CultureInfo.InvariantCulture), (await DistrictInTileAsync(client, url, district)).Properties["value"]);
        using var current = await client.GetAsync(url, Ct);
        Assert.Contains("immutable", current.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        // The old URL (old v) gets current data with a short lifetime.
        using var stale = await client.GetAsync(TileUrl(before, tile), Ct);
        Assert.Equal(TimeSpan.FromSeconds(60), stale.Headers.CacheControl?.MaxAge);
    }

    [Theory]
    [InlineData("/tiles/indicators/14/0/0.mvt?indicator=99.9.9")]
    [InlineData("/tiles/indicators/14/0/0.mvt")]
    [InlineData("/tiles/indicators.json?indicator=nope")]
    [InlineData("/tiles/indicators.json")]
    [InlineData("/tiles/indicators/14/0/0.png?indicator=11.1.1")]
    public async Task AMissingOrUnknownIndicatorIsA400Problem(string url)
    {
        _ = service.Db.ConnectionString;
        using var client = service.Api.CreateClient();
        using var response = await client.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Contains("indicator", doc.RootElement.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
