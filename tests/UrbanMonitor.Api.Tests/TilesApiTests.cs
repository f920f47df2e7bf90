using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using UrbanMonitor.Api.Layers;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Api.Tiles;
using UrbanMonitor.Database.Demo;
using UrbanMonitor.Domain.Tiles;

namespace UrbanMonitor.Api.Tests;

/// <summary>A class fixture: the synthetic city (2,000 parcels, seed 42) in its own database, and the service on it.</summary>
public class SyntheticTilesService : IAsyncLifetime
{
    public TestDatabase Db { get; } = new();
    public ApiFactory Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        if (await PostgisServer.UnavailableReasonAsync() is not null) return;
        await new DemoLoader(Db.DataSource).LoadSyntheticAsync(2_000, 42);
        Api = new ApiFactory(Db.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null) await Api.DisposeAsync();
        await Db.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    public TileCache Cache => Api.Services.GetRequiredService<TileCache>();

    /// <summary>Waits until the service listens for edits and has heard the database's current version of the layer.</summary>
    public async Task CacheCaughtUpAsync(string layer)
    {
        var version = await Db.ScalarAsync<long>("SELECT version FROM layer_versions WHERE layer = $1", layer);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(Cache.Enabled && Cache.VersionOf(layer) >= version))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The tile cache did not hear version {version} of {layer} within 15 s (it has {Cache.VersionOf(layer)}).");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The tile at zoom z holding the centre of the parcels' extent.</summary>
    public async Task<TileAddress> TileOfCityCentreAsync(int z)
    {
        var lon = await Db.ScalarAsync<double>("SELECT ST_X(ST_Centroid(ST_Extent(geom)::geometry)) FROM properties");
        var lat = await Db.ScalarAsync<double>("SELECT ST_Y(ST_Centroid(ST_Extent(geom)::geometry)) FROM properties");
        return TileMath.TileAt(lon, lat, z);
    }

    /// <summary>The tile at zoom z holding the centroid of the parcel with the lowest id.</summary>
    public async Task<TileAddress> TileOfFirstParcelAsync(int z)
    {
        var lon = await Db.ScalarAsync<double>("SELECT ST_X(ST_Centroid(geom)) FROM properties ORDER BY id LIMIT 1");
        var lat = await Db.ScalarAsync<double>("SELECT ST_Y(ST_Centroid(geom)) FROM properties ORDER BY id LIMIT 1");
        return TileMath.TileAt(lon, lat, z);
    }
}

public class TilesApiTests(SyntheticTilesService service) : IClassFixture<SyntheticTilesService>
{
    private const string Mvt = "application/vnd.mapbox-vector-tile";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(HttpResponseMessage Response, byte[] Body)> GetAsync(string url, params (string Name, string Value)[] headers)
    {
        _ = service.Db.ConnectionString; // skips when PostGIS is unreachable (not on CI)
        using var client = service.Api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        var response = await client.SendAsync(request, Ct);
        return (response, await response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task AZoom18ParcelTileDecodesToTheGoldenText()
    {
        var t = await service.TileOfFirstParcelAsync(18);
        var (response, body) = await GetAsync($"/tiles/properties/{t}.mvt");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Mvt, response.Content.Headers.ContentType?.MediaType);
        Golden.Check("tile-synthetic-properties-z18.txt", $"GET /tiles/properties/{t}.mvt (synthetic city, 2,000 parcels, seed 42)\n" + MvtText.Render(body));
    }

    [Fact]
    public async Task SeveralLayersInOneTileComeAsOneMvtLayerEachNamedByItsLayerId()
    {
        var t = await service.TileOfFirstParcelAsync(15);
        var (response, body) = await GetAsync($"/tiles/settlements,districts,transit-stops/{t}.mvt");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["settlements", "districts", "transit-stops"], MvtText.Decode(body).Select(l => l.Name));
        Golden.Check("tile-synthetic-settlements-districts-stops-z15.txt",
            $"GET /tiles/settlements,districts,transit-stops/{t}.mvt (synthetic city, 2,000 parcels, seed 42)\n" + MvtText.Render(body));

        var (_, withParcels) = await GetAsync($"/tiles/properties,settlements/{t}.mvt");
        var layers = MvtText.Decode(withParcels);
        Assert.Equal(["properties", "settlements"], layers.Select(l => l.Name));
        Assert.True(layers[0].Features.Count > 100, $"a z15 tile over the city holds many parcels, got {layers[0].Features.Count}");
    }

    [Fact]
    public async Task TilesCarryOnlyPublicColumnsAndTheRowIdAsFeatureId()
    {
        var t = await service.TileOfFirstParcelAsync(16);
        foreach (var layer in TileLayers.All.Where(l => t.Z >= l.MinZoom))
        {
            var (response, body) = await GetAsync($"/tiles/{layer.Id}/{t}.mvt");
            if (response.StatusCode == HttpStatusCode.NoContent) continue;
            var decoded = Assert.Single(MvtText.Decode(body));
            Assert.Equal(layer.Id, decoded.Name);
            var allowed = layer.Layer.PublicColumns.Select(c => c.Name).ToHashSet();
            foreach (var f in decoded.Features)
            {
                Assert.All(f.Properties.Keys, k => Assert.Contains(k, allowed));
                Assert.NotNull(f.Id);
                if (f.Properties.TryGetValue("code", out var code))
                {
                    var table = layer.Layer.Table;
                    var idOfCode = await service.Db.ScalarAsync<long>($"SELECT id FROM {table} WHERE code = $1", code.Trim('"'));
                    Assert.Equal((ulong)idOfCode, f.Id);
                }
            }
        }
    }

    [Fact]
    public async Task GdalsMvtDriverReadsTheSameFeaturesFromTheTile()
    {
        var t = await service.TileOfFirstParcelAsync(17);
        var (_, body) = await GetAsync($"/tiles/properties,transit-stops/{t}.mvt");
        var ours = MvtText.Decode(body);
        var dir = Directory.CreateTempSubdirectory("um-tiles-");
        try
        {
            var file = Path.Combine(dir.FullName, "tile.mvt");
            await File.WriteAllBytesAsync(file, body, Ct);
            Repo.ProcessResult gdal;
            try
            {
                gdal = await Repo.RunAsync("ogrinfo", ["-ro", "-al", "-so", "-oo", $"Z={t.Z}", "-oo", $"X={t.X}", "-oo", $"Y={t.Y}", file]);
            }
            catch (System.ComponentModel.Win32Exception) when (!PostgisServer.OnCi)
            {
                Assert.Skip("ogrinfo (gdal-bin) is not installed; ./test.sh installs it.");
                return;
            }
            Assert.Equal(0, gdal.ExitCode);
            foreach (var layer in ours)
            {
                Assert.Contains($"Layer name: {layer.Name}", gdal.Stdout);
                var block = gdal.Stdout[gdal.Stdout.IndexOf($"Layer name: {layer.Name}", StringComparison.Ordinal)..];
                Assert.Contains($"Feature Count: {layer.Features.Count}", block);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ATileWithNoFeaturesIs204NoContent()
    {
        var (response, body) = await GetAsync("/tiles/properties/16/0/0.mvt");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(body);
    }

    [Fact]
    public async Task TheETagIsAHashOfTheBytesAndIfNoneMatchGives304()
    {
        var t = await service.TileOfFirstParcelAsync(17);
        var url = $"/tiles/properties/{t}.mvt";
        var (first, body) = await GetAsync(url);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body).AsSpan(0, 16));
        Assert.Equal($"\"{expected}\"", etag.Tag);

        var (again, againBody) = await GetAsync(url, ("If-None-Match", etag.Tag));
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(againBody);
        var (other, _) = await GetAsync(url, ("If-None-Match", "\"not-this-one\""));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task GzipIsSentWhenAcceptedWithItsOwnETagAndInflatesToTheSameTile()
    {
        var t = await service.TileOfFirstParcelAsync(17);
        var url = $"/tiles/properties/{t}.mvt";
        var (plain, plainBody) = await GetAsync(url);
        var (zipped, zippedBody) = await GetAsync(url, ("Accept-Encoding", "gzip, br"));
        Assert.Equal("gzip", Assert.Single(zipped.Content.Headers.ContentEncoding));
        Assert.Contains("Accept-Encoding", zipped.Headers.Vary);
        Assert.NotEqual(plain.Headers.ETag!.Tag, zipped.Headers.ETag!.Tag);
        Assert.True(zippedBody.Length < plainBody.Length);
        using var inflate = new GZipStream(new MemoryStream(zippedBody), CompressionMode.Decompress);
        using var inflated = new MemoryStream();
        await inflate.CopyToAsync(inflated, Ct);
        Assert.Equal(plainBody, inflated.ToArray());
        var (notModified, _) = await GetAsync(url, ("Accept-Encoding", "gzip"), ("If-None-Match", zipped.Headers.ETag.Tag));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task AUrlWithTheCurrentVersionIsCachedForAYearOthersForAMinuteAndAnyOriginMayReadTiles()
    {
        await service.CacheCaughtUpAsync("properties");
        var version = await service.Db.ScalarAsync<long>("SELECT version FROM layer_versions WHERE layer = 'properties'");
        var t = await service.TileOfFirstParcelAsync(17);
        var (current, _) = await GetAsync($"/tiles/properties/{t}.mvt?v={version}");
        Assert.Equal("public, max-age=31536000, immutable", current.Headers.CacheControl?.ToString());
        Assert.Equal("*", current.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var (old, _) = await GetAsync($"/tiles/properties/{t}.mvt?v={version - 1}");
        Assert.Equal("public, max-age=60", old.Headers.CacheControl?.ToString());
        var (none, _) = await GetAsync($"/tiles/properties/{t}.mvt");
        Assert.Equal("public, max-age=60", none.Headers.CacheControl?.ToString());
        Assert.Equal(current.Headers.ETag, old.Headers.ETag);
    }

    [Fact]
    public async Task TheTileUrlsATileJsonHandOutAreImmutableForACdnAndTheSameTileWithoutVersionKeepsAShortLifeAndAnETag()
    {
        await service.CacheCaughtUpAsync("properties");
        var (json, body) = await GetAsync("/tiles/properties.json");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        var absolute = doc.RootElement.GetProperty("tiles")[0].GetString()!;
        var template = absolute[absolute.IndexOf("/tiles/", StringComparison.Ordinal)..];
        Assert.Matches(@"^/tiles/properties/\{z\}/\{x\}/\{y\}\.mvt\?v=[0-9]+$", template);
        var t = await service.TileOfFirstParcelAsync(17);
        var url = template.Replace("{z}", "17", StringComparison.Ordinal)
            .Replace("{x}", t.X.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{y}", t.Y.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var (versioned, tile) = await GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, versioned.StatusCode);
        Assert.NotEmpty(tile);
        Assert.Equal("public, max-age=31536000, immutable", versioned.Headers.CacheControl?.ToString());
        var (plain, _) = await GetAsync(url[..url.IndexOf('?', StringComparison.Ordinal)]);
        Assert.Equal("public, max-age=60", plain.Headers.CacheControl?.ToString());
        Assert.NotNull(plain.Headers.ETag);
        Assert.Equal(versioned.Headers.ETag, plain.Headers.ETag);
        var (revalidated, _) = await GetAsync(url[..url.IndexOf('?', StringComparison.Ordinal)], ("If-None-Match", plain.Headers.ETag!.Tag));
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
    }

    [Theory]
    [InlineData("/tiles/properties/25/0/0.mvt", 400, "tile-out-of-range")]
    [InlineData("/tiles/properties/14/0/0.mvt", 400, "tile-out-of-range")]
    [InlineData("/tiles/districts/21/0/0.mvt", 400, "tile-out-of-range")]
    [InlineData("/tiles/properties/16/65536/0.mvt", 400, "tile-out-of-range")]
    [InlineData("/tiles/properties/16/0/65536.mvt", 400, "tile-out-of-range")]
    [InlineData("/tiles/properties/16/-1/0.mvt", 400, "bad-tile-request")]
    [InlineData("/tiles/properties/16/x/0.mvt", 400, "bad-tile-request")]
    [InlineData("/tiles/properties/16/0/0", 400, "bad-tile-request")]
    [InlineData("/tiles/properties,properties/16/0/0.mvt", 400, "bad-tile-request")]
    [InlineData("/tiles/parcels/16/0/0.mvt", 404, "layer-not-found")]
    [InlineData("/tiles/properties,owners/16/0/0.mvt", 404, "layer-not-found")]
    [InlineData("/tiles/properties/16/0/0.pbf", 404, "tile-format-not-found")]
    [InlineData("/tiles/properties/16/0/0@2x.mvt", 404, "tile-format-not-found")]
    [InlineData("/tiles/parcels.json", 404, "layer-not-found")]
    [InlineData("/collections/parcels/tiles/WebMercatorQuad/16/0/0", 404, "layer-not-found")]
    [InlineData("/collections/properties/tiles/WebMercatorQuad/16/70000/0", 400, "tile-out-of-range")]
    public async Task BadTileRequestsAreProblemDocumentsNeverServerErrors(string url, int status, string kind)
    {
        var (response, body) = await GetAsync(url);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("urn:urbanmonitor:problem:" + kind, doc.RootElement.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(doc.RootElement.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task TileJsonDescribesTheLayerWithVersionedTileUrlsAttributionAndFields()
    {
        var version = await service.Db.ScalarAsync<long>("SELECT version FROM layer_versions WHERE layer = 'settlements'");
        var (response, body) = await GetAsync("/tiles/settlements.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        Assert.Equal($"http://localhost/tiles/settlements/{{z}}/{{x}}/{{y}}.mvt?v={version}", root.GetProperty("tiles")[0].GetString());
        var text = JsonSerializer.Serialize(root, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            .Replace($"?v={version}", "?v={version}", StringComparison.Ordinal);
        Golden.Check("tilejson-synthetic-settlements.json", text + "\n");
    }

    [Fact]
    public async Task TheOgcTilesetLinksEachHaveATypeAndItsTilesAreTheXyzTiles()
    {
        var (tilesets, tilesetsBody) = await GetAsync("/collections/properties/tiles");
        Assert.Equal(HttpStatusCode.OK, tilesets.StatusCode);
        var (meta, metaBody) = await GetAsync("/collections/properties/tiles/WebMercatorQuad");
        Assert.Equal(HttpStatusCode.OK, meta.StatusCode);
        foreach (var body in new[] { tilesetsBody, metaBody })
        {
            using var doc = JsonDocument.Parse(body);
            var links = FindLinks(doc.RootElement).ToList();
            Assert.NotEmpty(links);
            Assert.All(links, l => Assert.False(string.IsNullOrEmpty(l.GetProperty("type").GetString())));
        }
        using (var doc = JsonDocument.Parse(metaBody))
        {
            Assert.Equal("http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad", doc.RootElement.GetProperty("tileMatrixSetURI").GetString());
            Assert.Equal("15", doc.RootElement.GetProperty("layers")[0].GetProperty("minTileMatrix").GetString());
        }

        var t = await service.TileOfFirstParcelAsync(17);
        var (_, xyz) = await GetAsync($"/tiles/properties/{t.Z}/{t.X}/{t.Y}.mvt");
        var (ogc, ogcBody) = await GetAsync($"/collections/properties/tiles/WebMercatorQuad/{t.Z}/{t.Y}/{t.X}");
        Assert.Equal(HttpStatusCode.OK, ogc.StatusCode);
        Assert.Equal(xyz, ogcBody);
    }

    private static IEnumerable<JsonElement> FindLinks(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (p.Name == "links" && p.Value.ValueKind == JsonValueKind.Array)
                    foreach (var l in p.Value.EnumerateArray()) yield return l;
                else
                    foreach (var l in FindLinks(p.Value)) yield return l;
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
                foreach (var l in FindLinks(item)) yield return l;
        }
    }

    [Fact]
    public async Task APngTileIsARealImageWithTheParcelsDrawnAndTheRetinaTileIsTwiceAsLarge()
    {
        var t = await service.TileOfCityCentreAsync(17);
        foreach (var (suffix, size) in new[] { (".png", 256), ("@2x.png", 512) })
        {
            var (response, body) = await GetAsync($"/tiles/properties,transit-stops/{t}{suffix}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
            using var bitmap = SKBitmap.Decode(body);
            Assert.NotNull(bitmap);
            Assert.Equal(size, bitmap.Width);
            Assert.Equal(size, bitmap.Height);
            var drawn = bitmap.Pixels.Count(p => p.Alpha > 0);
            Assert.True(drawn > size * size / 4, $"parcels cover most of a tile in the middle of the city; {drawn} of {size * size} pixels drawn");
        }
        var (empty, _) = await GetAsync("/tiles/properties/16/0/0.png");
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
    }

    [Fact]
    public async Task ADistrictPackageIsAnMbtilesFileHoldingTheSameTilesTheTileUrlsServe()
    {
        var (response, body) = await GetAsync("/api/cities/synthetic/districts/1/package.mbtiles");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.sqlite3", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("synthetic-1.mbtiles", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
        var file = Path.Combine(Path.GetTempPath(), $"um-test-{Guid.NewGuid():N}.mbtiles");
        await File.WriteAllBytesAsync(file, body, Ct);
        try
        {
            await using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
            await sqlite.OpenAsync(Ct);
            async Task<object?> Scalar(string sql)
            {
                await using var cmd = sqlite.CreateCommand();
                cmd.CommandText = sql;
                return await cmd.ExecuteScalarAsync(Ct);
            }
            Assert.Equal("pbf", await Scalar("SELECT value FROM metadata WHERE name = 'format'"));
            Assert.Equal("12", await Scalar("SELECT value FROM metadata WHERE name = 'minzoom'"));
            Assert.Equal(12L, await Scalar("SELECT min(zoom_level) FROM tiles"));
            Assert.Equal(16L, await Scalar("SELECT max(zoom_level) FROM tiles"));

            // The first parcel (SYN-1-1-1) lies in district 1: its z16 tile, rows counted from the south.
            var t = await service.TileOfFirstParcelAsync(16);
            var stored = (byte[]?)await Scalar($"SELECT tile_data FROM tiles WHERE zoom_level = 16 AND tile_column = {t.X} AND tile_row = {(1 << 16) - 1 - t.Y}");
            Assert.NotNull(stored);
            using var inflate = new GZipStream(new MemoryStream(stored), CompressionMode.Decompress);
            using var tile = new MemoryStream();
            await inflate.CopyToAsync(tile, Ct);
            var (_, served) = await GetAsync($"/tiles/{string.Join(",", UrbanMonitor.Api.Tiles.TileLayers.All.Select(l => l.Id))}/{t}.mvt");
            Assert.Equal(served, tile.ToArray());
            Assert.Contains("properties", MvtText.Decode(tile.ToArray()).Select(l => l.Name));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(file);
        }

        var (noDistrict, _) = await GetAsync("/api/cities/synthetic/districts/999/package.mbtiles");
        Assert.Equal(HttpStatusCode.NotFound, noDistrict.StatusCode);
        var (noCity, noCityBody) = await GetAsync("/api/cities/atlantis/districts/1/package.mbtiles");
        Assert.Equal(HttpStatusCode.NotFound, noCity.StatusCode);
        Assert.Contains("city-not-found", System.Text.Encoding.UTF8.GetString(noCityBody));
    }

    [Fact]
    public async Task ADistrictGeoPackageOpensInGdalWithEveryLayersFeaturesOfTheDistrictAndOnlyPublicColumns()
    {
        var (response, body) = await GetAsync("/api/cities/synthetic/districts/1/package.gpkg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/geopackage+sqlite3", response.Content.Headers.ContentType?.MediaType);
        var dir = Directory.CreateTempSubdirectory("um-gpkg-");
        try
        {
            var file = Path.Combine(dir.FullName, "district.gpkg");
            await File.WriteAllBytesAsync(file, body, Ct);
            Repo.ProcessResult gdal;
            try
            {
                gdal = await Repo.RunAsync("ogrinfo", ["-ro", "-so", "-al", file]);
            }
            catch (System.ComponentModel.Win32Exception) when (!PostgisServer.OnCi)
            {
                Assert.Skip("ogrinfo (gdal-bin) is not installed; ./test.sh installs it.");
                return;
            }
            Assert.Equal(0, gdal.ExitCode);
            Assert.DoesNotContain("ERROR", gdal.Output, StringComparison.Ordinal);
            foreach (var layer in TileLayers.All)
            {
                var expected = await service.Db.ScalarAsync<long>(
                    $"SELECT count(*) FROM {layer.Layer.Table} t JOIN districts d ON d.city_id = t.city_id AND d.code = '1' WHERE ST_Intersects(t.geom, d.geom)");
                var block = gdal.Stdout[gdal.Stdout.IndexOf($"Layer name: {layer.Id}", StringComparison.Ordinal)..];
                Assert.Contains($"Feature Count: {expected}", block[..Math.Min(block.Length, 400)]);
            }
            Assert.Contains("GEOGCRS[\"WGS 84\"", gdal.Stdout, StringComparison.Ordinal);
            var properties = gdal.Stdout[gdal.Stdout.IndexOf("Layer name: properties", StringComparison.Ordinal)..];
            properties = properties[..properties.IndexOf("Layer name:", 5, StringComparison.Ordinal)];
            var fields = properties.Split('\n').Where(l => l.Contains(": String", StringComparison.Ordinal) || l.Contains(": Integer", StringComparison.Ordinal) || l.Contains(": Date", StringComparison.Ordinal))
                .Select(l => l.Split(':')[0].Trim()).ToArray();
            Assert.Equal(TileLayers.All.Single(l => l.Id == "properties").Layer.PublicColumns.Select(c => c.Name), fields);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void EveryTiledLayerIsACatalogueLayerWithAStyleFileAndASensibleZoomRange()
    {
        Assert.NotEmpty(TileLayers.All);
        foreach (var layer in TileLayers.All)
        {
            Assert.True(LayerCatalogue.TryGet(layer.Id, out _));
            Assert.InRange(layer.MinZoom, 0, layer.MaxZoom);
            Assert.InRange(layer.MaxZoom, layer.MinZoom, TileMath.MaxZoom);
            Assert.True(File.Exists(Path.Combine(Repo.Root, "tiles", "styles", layer.Id + ".json")), $"tiles/styles/{layer.Id}.json is missing");
        }
        Assert.True(TileLayers.All.Single(l => l.Id == "properties").MinZoom >= 15, "a z14 parcel tile of a 1M-parcel city is too big to serve");
    }
}
