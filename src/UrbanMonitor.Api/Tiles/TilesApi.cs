using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Domain.Tiles;

namespace UrbanMonitor.Api.Tiles;

/// <summary>
/// Map tiles: <c>/tiles/{layers}/{z}/{x}/{y}.mvt</c> (several layers with a literal comma), <c>.png</c> and
/// <c>@2x.png</c>, TileJSON at <c>/tiles/{layer}.json</c>, and the OGC API - Tiles routes under
/// <c>/collections/{id}/tiles</c>. Tiles carry only the catalogue's public columns.
/// </summary>
public static partial class TilesApi
{
    private const string MvtType = "application/vnd.mapbox-vector-tile";
    private const string WebMercatorQuadUri = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";

    [GeneratedRegex("^(?<y>[0-9]{1,9})(?<scale>@2x)?\\.(?<ext>[A-Za-z0-9]+)$")]
    private static partial Regex TileFile();

    [GeneratedRegex("^[0-9]{1,9}$")]
    private static partial Regex Number();

    public static WebApplicationBuilder AddTiles(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TilesOptions>().BindConfiguration("Tiles");
        builder.Services.AddSingleton<TileCache>();
        builder.Services.AddSingleton<TileQueries>();
        builder.Services.AddSingleton<TileRenderer>();
        builder.Services.AddHostedService<TileInvalidationListener>();
        builder.Services.AddSingleton<TileVersionFlusher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TileVersionFlusher>());
        return builder;
    }

    public static IEndpointRouteBuilder MapTilesApi(this IEndpointRouteBuilder app)
    {
        var tiles = app.MapGroup("/tiles").WithTags("Tiles");
        tiles.MapGet("/{layers}/{z}/{x}/{file}", GetTile).WithName("GetTile")
            .WithSummary("A vector (.mvt) or raster (.png, @2x.png) tile of one or more layers (comma-separated)")
            .Produces(StatusCodes.Status200OK, contentType: MvtType)
            .Produces(StatusCodes.Status200OK, contentType: "image/png")
            .Produces(StatusCodes.Status204NoContent)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        tiles.MapGet("/{file}", GetTileJson).WithName("GetTileJson")
            .WithSummary("TileJSON 3.0 of a layer: /tiles/{layer}.json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/api/cities/{slug}/districts/{code}/package.mbtiles", OfflinePackage.GetAsync).WithTags("Tiles")
            .WithName("GetDistrictPackage")
            .WithSummary("Offline package: the district's vector tiles z12-z16 as MBTiles")
            .Produces(StatusCodes.Status200OK, contentType: "application/vnd.sqlite3")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        app.MapGet("/api/cities/{slug}/districts/{code}/package.gpkg", DistrictGeoPackage.GetAsync).WithTags("Tiles")
            .WithName("GetDistrictGeoPackage")
            .WithSummary("Offline package: the district's features of every layer (public columns) as a GeoPackage")
            .Produces(StatusCodes.Status200OK, contentType: "application/geopackage+sqlite3")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var ogc = app.MapGroup("/collections/{id}/tiles").WithTags("OGC API - Tiles");
        ogc.MapGet("/", OgcTilesets).WithName("OgcTilesets")
            .WithSummary("The tilesets of a collection (WebMercatorQuad vector tiles)")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);
        ogc.MapGet("/WebMercatorQuad", OgcTileset).WithName("OgcTileset")
            .WithSummary("Tileset metadata of a collection in WebMercatorQuad")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);
        ogc.MapGet("/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}", OgcTile).WithName("OgcTile")
            .WithSummary("A vector tile: tileMatrix = z, tileRow = y, tileCol = x")
            .Produces(StatusCodes.Status200OK, contentType: MvtType)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    internal static async Task<IResult> GetTile(string layers, string z, string x, string file, HttpContext http,
        TileCache cache, TileQueries queries, TileRenderer renderer, CancellationToken ct)
    {
        var match = TileFile().Match(file);
        if (!match.Success)
            return Problem(StatusCodes.Status400BadRequest, Problems.BadTileRequest, "Bad tile request",
                $"'{file}' is not a tile name: expected {{y}}.mvt, {{y}}.png or {{y}}@2x.png.");
        var format = (match.Groups["ext"].Value, match.Groups["scale"].Success) switch
        {
            ("mvt", false) => TileFormat.Mvt,
            ("png", false) => TileFormat.Png,
            ("png", true) => TileFormat.Png2x,
            _ => (TileFormat?)null,
        };
        if (format is null)
            return Problem(StatusCodes.Status404NotFound, Problems.TileFormatNotFound, "No such tile format",
                $"Tiles are served as .mvt, .png and @2x.png, not '{file[match.Groups["y"].Length..]}'.");
        return await ServeAsync(layers, z, x, match.Groups["y"].Value, format.Value, http, cache, queries, renderer, ct);
    }

    internal static Task<IResult> OgcTile(string id, string tileMatrix, string tileRow, string tileCol, HttpContext http,
        TileCache cache, TileQueries queries, TileRenderer renderer, CancellationToken ct) =>
        ServeAsync(id, tileMatrix, tileCol, tileRow, TileFormat.Mvt, http, cache, queries, renderer, ct);

    private static async Task<IResult> ServeAsync(string layerList, string zText, string xText, string yText, TileFormat format,
        HttpContext http, TileCache cache, TileQueries queries, TileRenderer renderer, CancellationToken ct)
    {
        if (!Number().IsMatch(zText) || !Number().IsMatch(xText) || !Number().IsMatch(yText))
            return Problem(StatusCodes.Status400BadRequest, Problems.BadTileRequest, "Bad tile request",
                $"Tile coordinates must be non-negative integers, not {zText}/{xText}/{yText}.");
        int z = int.Parse(zText, CultureInfo.InvariantCulture), x = int.Parse(xText, CultureInfo.InvariantCulture), y = int.Parse(yText, CultureInfo.InvariantCulture);

        var ids = layerList.Split(',');
        var layers = new List<TileLayer>(ids.Length);
        foreach (var id in ids)
        {
            if (!TileLayers.TryGet(id, out var layer))
                return Problem(StatusCodes.Status404NotFound, Problems.LayerNotFound, "Layer not found",
                    $"There is no tiled layer '{id}'. Layers: {string.Join(", ", TileLayers.All.Select(l => l.Id))}.");
            if (layers.Any(l => l.Id == layer.Id))
                return Problem(StatusCodes.Status400BadRequest, Problems.BadTileRequest, "Bad tile request", $"Layer '{id}' is named twice.");
            if (layer == TileLayers.Indicators)
            {
                if (IndicatorOf(http.Request, out var indicator) is { } bad) return bad;
                if (format != TileFormat.Mvt)
                    return Problem(StatusCodes.Status400BadRequest, Problems.BadTileRequest, "Vector tiles only",
                        "The indicators choropleth is served as vector tiles (.mvt) only; the client colours it.");
                layer = layer with { Indicator = indicator };
            }
            layers.Add(layer);
        }
        if (z > TileMath.MaxZoom || !TileMath.IsValid(z, x, y))
            return Problem(StatusCodes.Status400BadRequest, Problems.TileOutOfRange, "Tile out of range",
                z > TileMath.MaxZoom
                    ? $"Zoom {z} is above the highest zoom, {TileMath.MaxZoom}."
                    : $"At zoom {z}, x and y run from 0 to {(1L << z) - 1}; {x}/{y} is outside the grid.");
        foreach (var layer in layers)
            if (z < layer.MinZoom || z > layer.MaxZoom)
                return Problem(StatusCodes.Status400BadRequest, Problems.TileOutOfRange, "Tile out of range",
                    $"Layer '{layer.Id}' is served from zoom {layer.MinZoom} to {layer.MaxZoom}, not at zoom {z}.");

        if (http.Request.Query.ContainsKey("at"))
            return await ServeAtAsync(layers, z, x, y, format, http, queries, ct);

        var key = new TileKey(string.Join(',', layers.Select(l => l.CacheId)), z, x, y, format);
        // The work is shared by every request for the tile, so no one request's cancellation stops it.
        // An unreachable database ends in 503 with Retry-After (Hosting/Limits.cs, DatabaseUnavailableHandler).
        var entry = await cache.GetOrAddAsync(key, () => format == TileFormat.Mvt
            ? MvtAsync(layers, z, x, y, cache, queries, CancellationToken.None)
            : renderer.RenderAsync(layers, z, x, y, format == TileFormat.Png2x ? 2 : 1, CancellationToken.None));
        return Respond(http, cache, key, entry, format);
    }

    // ?at=: the registry as it was (properties from their versions; layers without history as they are). Not cached:
    // past tiles are rare and each instant is its own tile. The ETag is still the hash of the bytes.
    private static async Task<IResult> ServeAtAsync(List<TileLayer> layers, int z, int x, int y, TileFormat format, HttpContext http,
        TileQueries queries, CancellationToken ct)
    {
        if (!Registration.RegistrationApi.TryParseAt(http.Request.Query["at"].ToString(), out var at) || at is null)
            return Problem(StatusCodes.Status400BadRequest, Problems.BadTileRequest, "Bad at",
                $"at must be an RFC 3339 timestamp or a date (YYYY-MM-DD), not '{http.Request.Query["at"]}'.");
        if (format != TileFormat.Mvt)
            return Problem(StatusCodes.Status400BadRequest, Problems.BadTileRequest, "at= on raster tiles",
                "The registry as of an instant is served as vector tiles (.mvt) only.");
        var parts = new List<byte[]>(layers.Count);
        foreach (var layer in layers) parts.Add(await queries.MvtAtAsync(layer, z, x, y, at.Value, ct));
        var bytes = parts.SelectMany(p => p).ToArray();
        var headers = http.Response.Headers;
        headers.AccessControlAllowOrigin = "*";
        headers.AccessControlExposeHeaders = "ETag";
        headers.CacheControl = at.Value < DateTimeOffset.UtcNow.AddMinutes(-1) ? "public, max-age=3600" : "public, max-age=60";
        if (bytes.Length == 0) return Results.NoContent();
        var entry = new TileEntry(bytes);
        headers.ETag = entry.ETag;
        if (http.Request.Headers.IfNoneMatch is { Count: > 0 } inm && Matches(inm.ToString(), entry))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(bytes, MvtType);
    }

    // Several layers in one tile are the layers' MVT bytes one after the other (a tile is a sequence of layers);
    // each layer's bytes are cached on their own too, so combinations share the work.
    private static async Task<byte[]> MvtAsync(List<TileLayer> layers, int z, int x, int y, TileCache cache, TileQueries queries, CancellationToken ct)
    {
        if (layers.Count == 1) return await queries.MvtAsync(layers[0], z, x, y, ct);
        var parts = new List<byte[]>(layers.Count);
        foreach (var layer in layers)
        {
            var part = await cache.GetOrAddAsync(new TileKey(layer.CacheId, z, x, y, TileFormat.Mvt), () => queries.MvtAsync(layer, z, x, y, ct));
            parts.Add(part.Bytes);
        }
        var all = new byte[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var p in parts)
        {
            p.CopyTo(all, at);
            at += p.Length;
        }
        return all;
    }

    private static IResult Respond(HttpContext http, TileCache cache, TileKey key, TileEntry entry, TileFormat format)
    {
        var headers = http.Response.Headers;
        headers.AccessControlAllowOrigin = "*";
        headers.AccessControlExposeHeaders = "ETag";
        // A URL whose ?v= is the layer's current version never changes meaning: cache it for a year. Without v, or
        // with an old one, the data may change at any edit: a minute.
        var current = http.Request.Query.TryGetValue("v", out var v) && v.Count == 1 && key.LayerIds.Length == 1
            && long.TryParse(v[0], NumberStyles.None, CultureInfo.InvariantCulture, out var asked)
            && asked > 0 && asked == cache.VersionOf(key.LayerIds[0]);
        headers.CacheControl = current ? "public, max-age=31536000, immutable" : "public, max-age=60";
        if (entry.Bytes.Length == 0) return Results.NoContent();

        var gzip = format == TileFormat.Mvt && AcceptsGzip(http.Request);
        if (format == TileFormat.Mvt) headers.Vary = "Accept-Encoding";
        var etag = gzip ? entry.GzipETag : entry.ETag;
        headers.ETag = etag;
        if (http.Request.Headers.IfNoneMatch is { Count: > 0 } inm && Matches(inm.ToString(), entry))
            return Results.StatusCode(StatusCodes.Status304NotModified);

        if (gzip)
        {
            var hadGzip = entry.HasGzip;
            var compressed = entry.Gzip;
            if (!hadGzip) cache.Recount(entry); // the cached tile grew by its gzip copy
            headers.ContentEncoding = "gzip";
            return Results.Bytes(compressed, MvtType);
        }
        return Results.Bytes(entry.Bytes, format == TileFormat.Mvt ? MvtType : "image/png");
    }

    private static bool AcceptsGzip(HttpRequest request)
    {
        foreach (var value in request.GetTypedHeaders().AcceptEncoding)
            if (value.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && (value.Quality ?? 1) > 0) return true;
        return false;
    }

    private static bool Matches(string ifNoneMatch, TileEntry entry)
    {
        if (ifNoneMatch.Trim() == "*") return true;
        foreach (var tag in ifNoneMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var t = tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag; // If-None-Match compares weakly
            if (t == entry.ETag || t == entry.GzipETag) return true;
        }
        return false;
    }

    /// <summary>The indicator code of <c>?indicator=</c>, checked against the catalogue; a 400 problem when it is
    /// missing or unknown.</summary>
    private static IResult? IndicatorOf(HttpRequest request, out string indicator)
    {
        indicator = request.Query["indicator"].ToString();
        var known = string.Join(", ", UrbanMonitor.Database.Indicators.IndicatorEngine.Catalogue.Select(d => d.Code));
        if (indicator.Length == 0)
            return Problem(StatusCodes.Status400BadRequest, Problems.BadTileRequest, "Indicator missing",
                $"The indicators layer needs ?indicator={{code}}, one of: {known}.");
        if (UrbanMonitor.Database.Indicators.IndicatorEngine.Find(indicator) is null)
            return Problem(StatusCodes.Status400BadRequest, Problems.BadTileRequest, "Unknown indicator",
                $"There is no indicator '{indicator}'. Indicators: {known}.");
        return null;
    }

    internal static async Task<IResult> GetTileJson(string file, HttpContext http, TileQueries queries, CancellationToken ct)
    {
        if (!file.EndsWith(".json", StringComparison.Ordinal) || !TileLayers.TryGet(file[..^".json".Length], out var layer))
            return Problem(StatusCodes.Status404NotFound, Problems.LayerNotFound, "Layer not found",
                $"There is no TileJSON '{file}'. Ask /tiles/{{layer}}.json for one of: {string.Join(", ", TileLayers.All.Select(l => l.Id))}, indicators?indicator={{code}}.");
        string? indicator = null;
        if (layer == TileLayers.Indicators)
        {
            if (IndicatorOf(http.Request, out var code) is { } bad) return bad;
            indicator = code;
        }
        var summary = indicator is null ? await queries.SummaryAsync(layer, ct) : await queries.IndicatorSummaryAsync(indicator, ct);
        var baseUrl = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
        // The indicator code is part of every tile URL (and so of every cache key); v is that indicator's own version.
        var v = (indicator is null ? "" : "indicator=" + Uri.EscapeDataString(indicator) + "&") + "v=" + summary.Version.ToString(CultureInfo.InvariantCulture);
        var bounds = summary.Bounds ?? [-180, -TileMath.MaxLatitude, 180, TileMath.MaxLatitude];
        var centerZoom = Math.Max(layer.MinZoom, Math.Min(layer.MaxZoom, 16));
        var doc = new Dictionary<string, object?>
        {
            ["tilejson"] = "3.0.0",
            ["name"] = layer.Layer.Title,
            ["description"] = layer.Layer.Description,
            ["version"] = "1.0.0",
            ["attribution"] = summary.Attribution ?? "UrbanMonitor",
            ["scheme"] = "xyz",
            ["tiles"] = new[] { $"{baseUrl}/tiles/{layer.Id}/{{z}}/{{x}}/{{y}}.mvt?{v}" },
            ["minzoom"] = layer.MinZoom,
            ["maxzoom"] = layer.MaxZoom,
            ["bounds"] = bounds.Select(b => Math.Round(b, 6)).ToArray(),
            ["center"] = new object[] { Math.Round((bounds[0] + bounds[2]) / 2, 6), Math.Round((bounds[1] + bounds[3]) / 2, 6), centerZoom },
            ["vector_layers"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["id"] = layer.Id,
                    ["description"] = layer.Layer.Description,
                    ["minzoom"] = layer.MinZoom,
                    ["maxzoom"] = layer.MaxZoom,
                    ["fields"] = layer.Layer.PublicColumns.ToDictionary(c => c.Name, c => c.Description),
                },
            },
            ["raster_tiles"] = indicator is not null ? null : new[]
            {
                $"{baseUrl}/tiles/{layer.Id}/{{z}}/{{x}}/{{y}}.png?{v}",
                $"{baseUrl}/tiles/{layer.Id}/{{z}}/{{x}}/{{y}}@2x.png?{v}",
            },
        };
        if (indicator is not null)
        {
            doc.Remove("raster_tiles");
            var d = UrbanMonitor.Database.Indicators.IndicatorEngine.Find(indicator)!;
            doc["name"] = $"{d.Code} {d.Name} by district";
            doc["description"] = $"{d.Definition} Unit: {d.Unit}. Stored results (method {d.MethodVersion}); districts without one are not drawn.";
            doc["attribution"] = $"UrbanMonitor indicator {d.Code} (method {d.MethodVersion}); districts: {summary.Attribution ?? "UrbanMonitor"}";
        }
        http.Response.Headers.AccessControlAllowOrigin = "*";
        http.Response.Headers.CacheControl = "public, max-age=60";
        return Results.Json(doc, contentType: "application/json");
    }

    internal static IResult OgcTilesets(string id, HttpContext http)
    {
        if (!TileLayers.TryGet(id, out var layer)) return CollectionMissing(id);
        var self = $"/collections/{id}/tiles";
        http.Response.Headers.AccessControlAllowOrigin = "*";
        return Results.Json(new
        {
            links = new[]
            {
                Link("self", "application/json", self, "The tilesets of this collection"),
                Link("collection", "application/json", $"/collections/{id}", "The collection"),
            },
            tilesets = new[]
            {
                new
                {
                    title = $"{layer.Layer.Title} (vector tiles, WebMercatorQuad)",
                    dataType = "vector",
                    crs = "http://www.opengis.net/def/crs/EPSG/0/3857",
                    tileMatrixSetURI = WebMercatorQuadUri,
                    links = new[]
                    {
                        Link("self", "application/json", $"{self}/WebMercatorQuad", "Tileset metadata"),
                        Link("http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "application/json", WebMercatorQuadUri, "The WebMercatorQuad tile matrix set"),
                    },
                },
            },
        }, contentType: "application/json");
    }

    internal static IResult OgcTileset(string id, HttpContext http)
    {
        if (!TileLayers.TryGet(id, out var layer)) return CollectionMissing(id);
        var self = $"/collections/{id}/tiles/WebMercatorQuad";
        http.Response.Headers.AccessControlAllowOrigin = "*";
        return Results.Json(new
        {
            title = $"{layer.Layer.Title} (vector tiles, WebMercatorQuad)",
            description = layer.Layer.Description,
            dataType = "vector",
            crs = "http://www.opengis.net/def/crs/EPSG/0/3857",
            tileMatrixSetURI = WebMercatorQuadUri,
            tileMatrixSetLimits = Enumerable.Range(layer.MinZoom, layer.MaxZoom - layer.MinZoom + 1).Select(z => new
            {
                tileMatrix = z.ToString(CultureInfo.InvariantCulture),
                minTileRow = 0,
                maxTileRow = (1L << z) - 1,
                minTileCol = 0,
                maxTileCol = (1L << z) - 1,
            }).ToArray(),
            layers = new[]
            {
                new
                {
                    id = layer.Id,
                    title = layer.Layer.Title,
                    description = layer.Layer.Description,
                    dataType = "vector",
                    geometryDimension = layer.Layer.GeometryType.Contains("Polygon", StringComparison.Ordinal) ? 2 : 0,
                    minTileMatrix = layer.MinZoom.ToString(CultureInfo.InvariantCulture),
                    maxTileMatrix = layer.MaxZoom.ToString(CultureInfo.InvariantCulture),
                    propertiesSchema = new
                    {
                        type = "object",
                        properties = layer.Layer.PublicColumns.ToDictionary(c => c.Name, c => new
                        {
                            type = c.Type == "date" ? "string" : c.Type,
                            format = c.Type == "date" ? "date" : null,
                            description = c.Description,
                        }),
                    },
                },
            },
            links = new[]
            {
                Link("self", "application/json", self, "This tileset metadata"),
                Link("http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "application/json", WebMercatorQuadUri, "The WebMercatorQuad tile matrix set"),
                Link("item", MvtType, $"{self}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}", "Mapbox vector tiles", templated: true),
                Link("describedby", "application/json", $"/tiles/{id}.json", "TileJSON of the same tiles"),
            },
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull },
            contentType: "application/json");
    }

    private static Dictionary<string, object> Link(string rel, string type, string href, string title, bool templated = false)
    {
        var link = new Dictionary<string, object> { ["rel"] = rel, ["type"] = type, ["href"] = href, ["title"] = title };
        if (templated) link["templated"] = true;
        return link;
    }

    private static IResult CollectionMissing(string id) => Problem(StatusCodes.Status404NotFound, Problems.LayerNotFound, "Collection not found",
        $"There is no tiled collection '{id}'. Collections with tiles: {string.Join(", ", TileLayers.All.Select(l => l.Id))}.");

    private static IResult Problem(int status, string type, string title, string detail) =>
        TypedResults.Problem(type: type, title: title, statusCode: status, detail: detail);
}
