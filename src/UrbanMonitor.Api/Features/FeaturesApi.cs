using System.Data;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;
using UrbanMonitor.Api.Features.Cql2;
using UrbanMonitor.Api.Hosting;

namespace UrbanMonitor.Api.Features;

/// <summary>
/// OGC API - Features (Part 1 core, Part 2 CRS, Part 3 CQL2 filtering) at the root: <c>/</c>, <c>/conformance</c>,
/// <c>/collections</c>, <c>/collections/{id}</c>, <c>/collections/{id}/queryables</c>, <c>/collections/{id}/items</c>,
/// <c>/collections/{id}/items/{featureId}</c>, each in JSON and HTML. One collection per catalogue layer; features
/// carry only the layer's public columns. Items are streamed from PostGIS's GeoJSON text, page by page in keyset order.
/// </summary>
public static class FeaturesApi
{
    private const string Json = "application/json";
    private const string GeoJson = "application/geo+json";
    private const string Html = "text/html";
    private const string OpenApi = "application/vnd.oai.openapi+json;version=3.0";
    private const string Schema = "application/schema+json";

    private static readonly string SourcesSql = Sql.Load("Features/sources.sql");
    private static readonly string CityIdSql = Sql.Load("Features/city_id.sql");

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // Only what is implemented in full: sortby (a draft part with no settled class) and queryables as query
    // parameters are not claimed; temporal functions are partly implemented, so not claimed either.
    public static readonly IReadOnlyList<string> ConformanceClasses =
    [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
        "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    ];

    public static IEndpointRouteBuilder MapFeaturesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("OGC API - Features");
        api.MapGet("/", Landing).WithName("OgcLandingPage").WithSummary("OGC API landing page (f=json or f=html)");
        api.MapGet("/conformance", Conformance).WithName("OgcConformance").WithSummary("Conformance classes implemented");
        api.MapGet("/collections", Collections).WithName("OgcCollections").WithSummary("The feature collections: one per layer");
        api.MapGet("/collections/{collectionId}", Collection).WithName("OgcCollection").WithSummary("One collection: extent, CRS, licence and source");
        api.MapGet("/collections/{collectionId}/queryables", Queryables).WithName("OgcQueryables")
            .WithSummary("The properties a CQL2 filter, sortby and properties may name (JSON Schema)");
        api.MapGet("/collections/{collectionId}/items", Items).WithName("OgcItems")
            .WithSummary("Features as GeoJSON: bbox, bbox-crs, datetime, limit (default 100, max 10000), crs, filter (CQL2 text or JSON), filter-lang, filter-crs, sortby, properties, city, cursor (from the next link)");
        api.MapGet("/collections/{collectionId}/export", Export).WithName("FeaturesExport")
            .WithSummary("The whole filtered collection in one file: format=geojson (default) or csv (id, properties, WKT); same filters as items, no paging");
        api.MapGet("/collections/{collectionId}/items/{featureId}", Item).WithName("OgcItem").WithSummary("One feature by id (crs)");
        ChangesApi.Map(api);
        return app;
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private static string Base(HttpRequest r) => $"{r.Scheme}://{r.Host}{r.PathBase}";

    /// <summary>HTML for f=html or a browser's Accept; JSON for f=json, f=geojson or anything else. Unknown f is a 400.</summary>
    private static bool WantsHtml(HttpRequest r)
    {
        if (r.Query.TryGetValue("f", out var f))
        {
            return f.ToString() switch
            {
                "html" => true,
                "json" or "geojson" or "application/json" or "application/geo+json" => false,
                var other => throw FeedException.BadParameter($"f must be json or html; got '{other}'."),
            };
        }
        var accept = r.Headers.Accept.ToString();
        return accept.Contains("text/html", StringComparison.OrdinalIgnoreCase) && !accept.Contains("json", StringComparison.OrdinalIgnoreCase);
    }

    private static void OnlyParameters(HttpRequest r, params string[] allowed)
    {
        foreach (var key in r.Query.Keys)
            if (!allowed.Contains(key))
                throw FeedException.BadParameter($"Unknown query parameter '{key}'. This resource takes: {string.Join(", ", allowed)}.");
    }

    private static FeatureCollection Find(string collectionId) =>
        FeatureCollection.TryGet(collectionId, out var c) ? c
        : throw new FeedException(StatusCodes.Status404NotFound, Problems.CollectionNotFound, "Collection not found",
            $"There is no collection '{collectionId}'. The collections are {string.Join(", ", FeatureCollection.All.Select(x => x.Id))} (GET /collections).");

    /// <summary>Runs a handler, turning refused requests into problem details and never a 500 for bad input.</summary>
    private static async Task Guard(HttpContext http, Func<Task<IResult?>> handler)
    {
        IResult? result;
        try
        {
            result = await handler();
        }
        catch (FeedException e)
        {
            result = TypedResults.Problem(type: e.Type, title: e.Title, detail: e.Message, statusCode: e.Status);
        }
        catch (Cql2Exception e)
        {
            result = TypedResults.Problem(type: Problems.InvalidFilter, title: "Invalid filter", detail: e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        catch (PostgresException e) when (!http.Response.HasStarted && (e.SqlState.StartsWith("22", StringComparison.Ordinal) || e.Message.Contains("GEOS", StringComparison.Ordinal)))
        {
            // Values the database refuses (e.g. a geometry that cannot be transformed): the request's fault, not ours.
            result = TypedResults.Problem(type: Problems.InvalidParameter, title: "Value refused", detail: "The database refused a value of the request: " + e.MessageText,
                statusCode: StatusCodes.Status400BadRequest);
        }
        catch (PostgresException e) when (!http.Response.HasStarted && IsTransformRefusal(e))
        {
            // PROJ cannot carry a coordinate of the request into the stored CRS (e.g. a UTM bbox of 1e10 m): PostGIS reports
            // it as an internal error (XX000), but the coordinates are the request's.
            result = TypedResults.Problem(type: Problems.InvalidParameter, title: "Coordinates outside the CRS",
                detail: "A coordinate of the request lies outside the area where its CRS is defined, so it cannot be transformed "
                        + $"(PostGIS: {e.MessageText}). Check bbox with bbox-crs, the geometries of filter with filter-crs, and crs.",
                statusCode: StatusCodes.Status400BadRequest);
        }
        if (result is not null) await result.ExecuteAsync(http);
    }

    /// <summary>PostGIS's ST_Transform failing on a coordinate PROJ cannot project ("transform: Point outside of projection domain").</summary>
    internal static bool IsTransformRefusal(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.InternalError && e.MessageText.StartsWith("transform:", StringComparison.Ordinal);

    private static IResult JsonResult(object body, string contentType = Json) =>
        Results.Text(JsonSerializer.Serialize(body, JsonOptions), contentType + "; charset=utf-8");

    // ---- landing, conformance ------------------------------------------------------------------------------

    internal static Task Landing(HttpContext http) => Guard(http, () =>
    {
        OnlyParameters(http.Request, "f");
        var b = Base(http.Request);
        var html = WantsHtml(http.Request);
        FeatureLink[] links =
        [
            new($"{b}/?f={(html ? "html" : "json")}", "self", html ? Html : Json, "This document"),
            new($"{b}/?f={(html ? "json" : "html")}", "alternate", html ? Json : Html, html ? "This document as JSON" : "This document as HTML"),
            new($"{b}/api", "service-desc", OpenApi, "The OpenAPI 3 definition of the API"),
            new($"{b}/docs", "service-doc", Html, "Readable API documentation"),
            new($"{b}/conformance", "conformance", Json, "Conformance classes implemented"),
            new($"{b}/conformance?f=html", "conformance", Html, "Conformance classes implemented (HTML)"),
            new($"{b}/collections", "data", Json, "The feature collections"),
            new($"{b}/collections?f=html", "data", Html, "The feature collections (HTML)"),
        ];
        const string title = "UrbanMonitor";
        const string description = "Geospatial data of cities as OGC API - Features: properties, informal settlements, districts and transit stops, streamed as GeoJSON. Public data only: no personal data.";
        if (html) return Task.FromResult<IResult?>(FeatureHtml.Page(title, $"<p>{FeatureHtml.E(description)}</p>" + FeatureHtml.Links(links)));
        return Task.FromResult<IResult?>(JsonResult(new { title, description, links }));
    });

    internal static Task Conformance(HttpContext http) => Guard(http, () =>
    {
        OnlyParameters(http.Request, "f");
        if (WantsHtml(http.Request))
            return Task.FromResult<IResult?>(FeatureHtml.Page("Conformance", "<ul>" + string.Concat(ConformanceClasses.Select(c => $"<li>{FeatureHtml.E(c)}</li>")) + "</ul>"));
        return Task.FromResult<IResult?>(JsonResult(new { conformsTo = ConformanceClasses }));
    });

    // ---- collections ---------------------------------------------------------------------------------------

    private sealed record Source(string Slug, string CityName, string Text, string Licence, string? Url);

    private static async Task<ILookup<string, Source>> SourcesAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var list = new List<(string Layer, Source Source)>();
        await using var cmd = db.CreateCommand(SourcesSql);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add((reader.GetString(0), new Source(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5))));
        return list.ToLookup(x => x.Layer, x => x.Source, StringComparer.Ordinal);
    }

    /// <summary>The extent of each collection: PostGIS's estimate from table statistics, or the exact extent when
    /// the table has none yet. The estimate is read per partition (properties is partitioned by city; PostGIS cannot
    /// estimate a partitioned parent, whose statistics hold no histogram).</summary>
    private static async Task<Dictionary<string, double[]>> ExtentsAsync(NpgsqlDataSource db, IEnumerable<FeatureCollection> collections, CancellationToken ct)
    {
        var p = new SqlParameters();
        var parts = collections.Select(c =>
        {
            var table = p.Add(c.Layer.Table);
            return $"""
                SELECT {p.Add(c.Id)}::text, e FROM (SELECT coalesce(
                    (SELECT ST_Extent(ST_EstimatedExtent('public', t.relid::regclass::text, 'geom')::geometry)
                     FROM (SELECT c.oid AS relid FROM pg_class c WHERE c.oid = {table}::regclass AND c.relkind = 'r'
                           UNION ALL SELECT relid FROM pg_partition_tree({table}::regclass) WHERE isleaf) t),
                    (SELECT ST_Extent(geom) FROM {c.TableSql})) AS e) x
                """;
        }).ToList();
        var sql = "SELECT id, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (" + string.Join(" UNION ALL ", parts) + ") u(id, e) WHERE e IS NOT NULL";
        await using var cmd = db.CreateCommand(sql);
        foreach (var x in p.All) cmd.Parameters.Add(x);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
            result[reader.GetString(0)] = [reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4)];
        return result;
    }

    private static object CollectionJson(string b, FeatureCollection c, IEnumerable<Source> sources, double[]? extent, bool fullCrsList)
    {
        var src = sources.ToList();
        var attribution = src.Count == 0 ? null : string.Join("; ", src.Select(s => $"{s.CityName}: {s.Text} (licence: {s.Licence})"));
        var links = new List<FeatureLink>
        {
            new($"{b}/collections/{c.Id}", "self", Json, c.Layer.Title),
            new($"{b}/collections/{c.Id}?f=html", "alternate", Html, c.Layer.Title + " (HTML)"),
            new($"{b}/collections/{c.Id}/items", "items", GeoJson, c.Layer.Title + " as GeoJSON"),
            new($"{b}/collections/{c.Id}/items?f=html", "items", Html, c.Layer.Title + " (HTML)"),
            new($"{b}/collections/{c.Id}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", Schema, "Queryables"),
        };
        // Each city's layer keeps its own licence; without a URL of the licence, the link goes to the city's sources.
        links.AddRange(src.Select(s => new FeatureLink(s.Url ?? $"{b}/api/cities/{s.Slug}", "license", s.Url is null ? Json : Html,
            $"{s.CityName}: {s.Licence} (source: {s.Text})")));
        return new
        {
            id = c.Id,
            title = c.Layer.Title,
            description = c.Layer.Description + (attribution is null ? "" : " Sources: " + attribution + "."),
            attribution,
            itemType = "feature",
            extent = new { spatial = new { bbox = new[] { extent ?? [-180, -90, 180, 90] }, crs = Crs.Crs84Uri } },
            crs = fullCrsList ? Crs.SupportedUris : (IReadOnlyList<string>)["#/crs"],
            storageCrs = Crs.Crs84Uri,
            links,
        };
    }

    private static string CollectionHtml(FeatureCollection c, IEnumerable<Source> sources, double[]? extent)
    {
        var sb = new StringBuilder();
        sb.Append($"<h2><a href=\"/collections/{c.Id}?f=html\">{FeatureHtml.E(c.Layer.Title)}</a> <small>({c.Id})</small></h2>");
        sb.Append($"<p>{FeatureHtml.E(c.Layer.Description)}</p>");
        sb.Append($"<p><a href=\"/collections/{c.Id}/items?f=html\">Browse the features</a> · <a href=\"/collections/{c.Id}/items\">GeoJSON</a> · <a href=\"/collections/{c.Id}/queryables\">Queryables</a></p>");
        if (extent is not null) sb.Append($"<p>Extent (CRS84): {string.Join(", ", extent.Select(v => v.ToString("0.######", CultureInfo.InvariantCulture)))}</p>");
        var rows = sources.Select(s => new[] { FeatureHtml.E(s.CityName), FeatureHtml.E(s.Text), s.Url is null ? FeatureHtml.E(s.Licence) : $"<a href=\"{FeatureHtml.E(s.Url)}\">{FeatureHtml.E(s.Licence)}</a>" });
        sb.Append(FeatureHtml.Table(["City", "Source", "Licence"], rows));
        return sb.ToString();
    }

    internal static Task Collections(HttpContext http, ReadDatabase reads, CancellationToken ct) => Guard(http, async () =>
    {
        var db = reads.For(http);
        OnlyParameters(http.Request, "f");
        var html = WantsHtml(http.Request);
        var sources = await SourcesAsync(db, ct);
        var extents = await ExtentsAsync(db, FeatureCollection.All, ct);
        if (html)
            return FeatureHtml.Page("Collections", string.Concat(FeatureCollection.All.Select(c => CollectionHtml(c, sources[c.Id], extents.GetValueOrDefault(c.Id)))));
        var b = Base(http.Request);
        return JsonResult(new
        {
            links = new FeatureLink[]
            {
                new($"{b}/collections", "self", Json, "The collections"),
                new($"{b}/collections?f=html", "alternate", Html, "The collections (HTML)"),
            },
            collections = FeatureCollection.All.Select(c => CollectionJson(b, c, sources[c.Id], extents.GetValueOrDefault(c.Id), false)),
            crs = Crs.SupportedUris,
        });
    });

    internal static Task Collection(HttpContext http, string collectionId, ReadDatabase reads, CancellationToken ct) => Guard(http, async () =>
    {
        var db = reads.For(http);
        var c = Find(collectionId);
        OnlyParameters(http.Request, "f");
        var html = WantsHtml(http.Request);
        var sources = await SourcesAsync(db, ct);
        var extents = await ExtentsAsync(db, [c], ct);
        if (html) return FeatureHtml.Page(c.Layer.Title, CollectionHtml(c, sources[c.Id], extents.GetValueOrDefault(c.Id)));
        return JsonResult(CollectionJson(Base(http.Request), c, sources[c.Id], extents.GetValueOrDefault(c.Id), true));
    });

    internal static Task Queryables(HttpContext http, string collectionId) => Guard(http, () =>
    {
        var c = Find(collectionId);
        OnlyParameters(http.Request, "f");
        var b = Base(http.Request);
        if (WantsHtml(http.Request))
        {
            var rows = c.Properties.Select(p => new[] { FeatureHtml.E(p.Name), FeatureHtml.E(p.Type), FeatureHtml.E(p.Description) })
                .Append([FeatureCollection.GeometryName, FeatureHtml.E(c.Layer.GeometryType), "Geometry (spatial functions such as S_INTERSECTS)."]);
            return Task.FromResult<IResult?>(FeatureHtml.Page($"Queryables of {c.Layer.Title}", FeatureHtml.Table(["Name", "Type", "Description"], rows)));
        }
        var properties = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var p in c.Properties)
        {
            properties[p.Name] = p.Type == "date"
                ? new { title = p.Name, description = p.Description, type = "string", format = (string?)"date" }
                : new { title = p.Name, description = p.Description, type = p.Type, format = (string?)null };
        }
        properties[FeatureCollection.GeometryName] = new Dictionary<string, string>
        {
            ["title"] = "Geometry",
            ["format"] = c.Layer.GeometryType == "Geometry" ? "geometry-any" : "geometry-" + c.Layer.GeometryType.ToLowerInvariant(),
            ["x-ogc-role"] = "primary-geometry",
        };
        var body = new Dictionary<string, object>
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"{b}/collections/{c.Id}/queryables",
            ["type"] = "object",
            ["title"] = c.Layer.Title,
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
        return Task.FromResult<IResult?>(JsonResult(body, Schema));
    });

    // ---- items ---------------------------------------------------------------------------------------------

    /// <summary>The id of the city <c>?city=</c> names; null when it names none (the filter then matches nothing).</summary>
    private static async Task<int?> CityIdAsync(NpgsqlDataSource db, string slug, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(CityIdSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = slug });
        return await cmd.ExecuteScalarAsync(ct) is int id ? id : null;
    }

    private static string WithQuery(HttpRequest r, string? cursor, string? format)
    {
        var q = new List<KeyValuePair<string, string?>>();
        foreach (var (k, v) in r.Query)
            if (k != "cursor" && k != "f") q.Add(new(k, v.ToString()));
        if (format is not null) q.Add(new("f", format));
        if (cursor is not null) q.Add(new("cursor", cursor));
        return QueryHelpers.AddQueryString($"{Base(r)}{r.Path}", q);
    }

    // The parameters are bound for the OpenAPI document only; ItemsRequest reads and validates the query itself.
    internal static Task Items(HttpContext http, string collectionId, [AsParameters] ItemsParameters _, ReadDatabase reads, CancellationToken ct) => Guard(http, async () =>
    {
        var db = reads.For(http);
        var c = Find(collectionId);
        var request = ItemsRequest.Parse(c, http.Request.Query);
        var html = WantsHtml(http.Request);
        int? cityId = request.City is { } slug ? await CityIdAsync(db, slug, ct) : null;
        var query = ItemsQuery.Page(request, cityId);

        await using var cmd = query.CreateCommand(db);
        await using var reader = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        var hasRow = await reader.ReadAsync(ct);

        var k = query.SortKeyCount;
        var sortValues = new string?[k];
        int lastCity = 0;
        long lastId = 0;
        var returned = 0;
        var more = false;
        var res = http.Response;

        if (html)
        {
            var rows = new List<string[]>();
            while (hasRow)
            {
                if (returned == request.Limit)
                {
                    more = true;
                    break;
                }
                using var feature = JsonDocument.Parse(reader.GetFieldValue<byte[]>(0));
                ReadKeys(reader, sortValues, out lastCity, out lastId);
                var props = feature.RootElement.GetProperty("properties");
                var id = feature.RootElement.GetProperty("id").GetRawText();
                rows.Add([$"<a href=\"/collections/{c.Id}/items/{id}?f=html\">{id}</a>",
                    .. request.Properties.Select(p => props.TryGetProperty(p.Name, out var v) && v.ValueKind != JsonValueKind.Null ? FeatureHtml.E(v.ToString()) : "")]);
                returned++;
                hasRow = await reader.ReadAsync(ct);
            }
            var next = more ? $"<p><a rel=\"next\" href=\"{FeatureHtml.E(WithQuery(http.Request, new Cursor(sortValues, lastCity, lastId).Encode(), "html"))}\">Next page</a></p>" : "";
            return FeatureHtml.Page($"{c.Layer.Title}: features",
                $"<p>{returned} features. <a href=\"{FeatureHtml.E(WithQuery(http.Request, null, "json"))}\">GeoJSON</a></p>"
                + FeatureHtml.Table(["id", .. request.Properties.Select(p => p.Name)], rows) + next);
        }

        res.ContentType = GeoJson;
        res.Headers["Content-Crs"] = $"<{request.OutputCrs.Uri}>";
        var body = res.BodyWriter;
        Write(body, """{"type":"FeatureCollection","features":[""");
        while (hasRow)
        {
            if (returned == request.Limit)
            {
                more = true;
                break;
            }
            if (returned > 0) Write(body, ",");
            await CopyFeatureAsync(reader, body, ct);
            // The keys are only needed for the next link, which only follows a full page's last feature.
            if (returned == request.Limit - 1) ReadKeys(reader, sortValues, out lastCity, out lastId);
            returned++;
            if (body.UnflushedBytes > 32 * 1024) await body.FlushAsync(ct);
            hasRow = await reader.ReadAsync(ct);
        }
        var links = new List<FeatureLink>
        {
            new(WithQuery(http.Request, request.After?.Encode(), null), "self", GeoJson, "This page"),
            new(WithQuery(http.Request, request.After?.Encode(), "html"), "alternate", Html, "This page as HTML"),
            new($"{Base(http.Request)}/collections/{c.Id}", "collection", Json, c.Layer.Title),
        };
        if (more) links.Add(new(WithQuery(http.Request, new Cursor(sortValues, lastCity, lastId).Encode(), null), "next", GeoJson, "Next page"));
        // numberMatched only when it costs nothing: a first page that holds every match.
        if (!more && request.After is null) Write(body, $"],\"numberMatched\":{returned.ToString(CultureInfo.InvariantCulture)}");
        else Write(body, "]");
        Write(body, $$""","numberReturned":{{returned.ToString(CultureInfo.InvariantCulture)}},"timeStamp":"{{DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}}","links":""");
        Write(body, JsonSerializer.Serialize(links, JsonOptions));
        Write(body, "}");
        await body.FlushAsync(ct);
        return null;
    });

    /// <summary>
    /// Every feature the filters select, streamed in one response as a GeoJSON FeatureCollection or a CSV file, in
    /// constant memory. Not bound by the page size: an export is a download, not a page.
    /// </summary>
    // The parameters are bound for the OpenAPI document only; ItemsRequest reads and validates the query itself.
    internal static Task Export(HttpContext http, string collectionId, [AsParameters] ExportParameters _, ReadDatabase reads, CancellationToken ct) => Guard(http, async () =>
    {
        var db = reads.For(http);
        var c = Find(collectionId);
        var request = ItemsRequest.Parse(c, http.Request.Query, export: true);
        var format = http.Request.Query["format"].ToString() switch
        {
            "" or "geojson" => "geojson",
            "csv" => "csv",
            "gpkg" or "geopackage" => "gpkg",
            "shp" or "shapefile" => "shp",
            var other => throw FeedException.BadParameter($"format must be geojson, csv, gpkg or shp (zipped Shapefile); got '{other}'."),
        };
        // A Shapefile holds one kind of geometry; a layer of mixed points, lines and polygons (projects) cannot go in one.
        if (format == "shp" && c.Layer.GeometryType == "Geometry")
            throw new FeedException(StatusCodes.Status400BadRequest, Hosting.Problems.InvalidParameter, "Shapefile cannot hold this layer",
                $"{c.Id} mixes points, lines and polygons and a Shapefile holds one geometry type; export as geojson, csv or gpkg.");
        int? cityId = request.City is { } slug ? await CityIdAsync(db, slug, ct) : null;
        var csv = format == "csv";
        var query = ItemsQuery.Page(request, cityId, format switch
        {
            "csv" => RowFormat.Csv,
            "gpkg" => RowFormat.GeoPackage,
            "shp" => RowFormat.Shapefile,
            _ => RowFormat.GeoJson,
        });
        var res = http.Response;
        if (format is "gpkg" or "shp") return await FileExportAsync(http, db, c, request, query, format, ct);

        await using var cmd = query.CreateCommand(db);
        cmd.CommandTimeout = 0; // a download of a million features may take longer than a query should
        await using var reader = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        var hasRow = await reader.ReadAsync(ct);

        res.ContentType = csv ? "text/csv; charset=utf-8; header=present" : GeoJson;
        res.Headers.ContentDisposition = $"attachment; filename=\"{c.Id}.{format}\"";
        res.Headers["Content-Crs"] = $"<{request.OutputCrs.Uri}>";
        var body = res.BodyWriter;
        Write(body, csv ? ItemsQuery.CsvHeader(request.Properties) : """{"type":"FeatureCollection","features":[""");
        var first = true;
        while (hasRow)
        {
            if (!first && !csv) Write(body, ",");
            first = false;
            await CopyFeatureAsync(reader, body, ct);
            if (body.UnflushedBytes > 32 * 1024) await body.FlushAsync(ct);
            hasRow = await reader.ReadAsync(ct);
        }
        if (!csv) Write(body, "]}");
        await body.FlushAsync(ct);
        return null;
    });

    /// <summary>A GeoPackage or zipped Shapefile export: written to a temporary folder row by row, sent, then deleted.</summary>
    private static async Task<IResult?> FileExportAsync(HttpContext http, NpgsqlDataSource db, FeatureCollection c, ItemsRequest request, ItemsQuery query,
        string format, CancellationToken ct)
    {
        string wgs84 = "", definition = "";
        await using (var srs = db.CreateCommand("SELECT srid, srtext FROM spatial_ref_sys WHERE srid IN (4326, $1)"))
        {
            srs.Parameters.Add(new NpgsqlParameter { Value = request.OutputCrs.Srid });
            await using var r = await srs.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                if (r.GetInt32(0) == 4326) wgs84 = r.GetString(1);
                if (r.GetInt32(0) == request.OutputCrs.Srid) definition = r.GetString(1);
            }
        }
        var dir = Directory.CreateTempSubdirectory("urbanmonitor-export-");
        try
        {
            var parts = Directory.CreateDirectory(Path.Combine(dir.FullName, "parts"));
            var path = Path.Combine(dir.FullName, format == "gpkg" ? "export.gpkg" : "export.zip");
            await using (var cmd = query.CreateCommand(db))
            {
                cmd.CommandTimeout = 0;
                await using var reader = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
                if (format == "gpkg") await GeoPackageFile.WriteAsync(path, c, request.Properties, request.OutputCrs, definition, wgs84, reader, ct);
                else await ShapefileExport.WriteAsync(parts.FullName, path, c, request.Properties, definition, reader, ct);
            }
            http.Response.ContentType = format == "gpkg" ? "application/geopackage+sqlite3" : "application/zip";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{c.Id}.{(format == "gpkg" ? "gpkg" : "shp.zip")}\"";
            http.Response.ContentLength = new FileInfo(path).Length;
            await http.Response.SendFileAsync(path, ct);
            return null;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Copies a feature's UTF-8 bytes (bytea) from Npgsql's buffer into the response's, never decoding them.
    /// Small features (nearly all) are copied at once; large ones (a city's outline) are streamed in pieces.</summary>
    private static async ValueTask CopyFeatureAsync(NpgsqlDataReader reader, System.IO.Pipelines.PipeWriter body, CancellationToken ct)
    {
        var length = (int)reader.GetBytes(0, 0, null, 0, 0);
        if (length <= 16 * 1024 && MemoryMarshal.TryGetArray<byte>(body.GetMemory(length), out var target))
        {
            body.Advance((int)reader.GetBytes(0, 0, target.Array, target.Offset, length));
            return;
        }
        await using var stream = await reader.GetStreamAsync(0, ct);
        int n;
        while ((n = await stream.ReadAsync(body.GetMemory(16 * 1024), ct)) > 0)
        {
            body.Advance(n);
            if (body.UnflushedBytes > 64 * 1024) await body.FlushAsync(ct);
        }
    }

    private static void ReadKeys(NpgsqlDataReader reader, string?[] sortValues, out int city, out long id)
    {
        for (var i = 0; i < sortValues.Length; i++) sortValues[i] = reader.IsDBNull(1 + i) ? null : reader.GetString(1 + i);
        city = reader.GetInt32(1 + sortValues.Length);
        id = reader.GetInt64(2 + sortValues.Length);
    }

    private static void Write(System.IO.Pipelines.PipeWriter writer, string text)
    {
        var span = writer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        writer.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    // The parameters are bound for the OpenAPI document only; the handler reads and validates the query itself.
    internal static Task Item(HttpContext http, string collectionId, string featureId, [AsParameters] ItemParameters _, ReadDatabase reads, CancellationToken ct) => Guard(http, async () =>
    {
        var db = reads.For(http);
        var c = Find(collectionId);
        OnlyParameters(http.Request, "f", "crs");
        var html = WantsHtml(http.Request);
        var crs = ItemsRequest.ParseCrs("crs", http.Request.Query["crs"].FirstOrDefault()) ?? Crs.Crs84;
        FeedException Missing() => new(StatusCodes.Status404NotFound, Problems.FeatureNotFound, "Feature not found",
            $"There is no feature '{featureId}' in the collection '{c.Id}'.");
        if (!long.TryParse(featureId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) throw Missing();

        await using var cmd = ItemsQuery.One(c, id, crs).CreateCommand(db);
        var text = await cmd.ExecuteScalarAsync(ct) is byte[] bytes ? Encoding.UTF8.GetString(bytes) : throw Missing();
        var b = Base(http.Request);
        if (html)
        {
            using var feature = JsonDocument.Parse(text);
            var props = feature.RootElement.GetProperty("properties");
            var rows = props.EnumerateObject().Select(p => new[] { FeatureHtml.E(p.Name), FeatureHtml.E(p.Value.ValueKind == JsonValueKind.Null ? "" : p.Value.ToString()) });
            return FeatureHtml.Page($"{c.Layer.Title} {featureId}", FeatureHtml.Table(["Property", "Value"], rows)
                + $"<p><a href=\"/collections/{c.Id}/items/{featureId}?f=json\">GeoJSON</a> · <a href=\"/collections/{c.Id}/items?f=html\">All features</a></p>");
        }
        FeatureLink[] links =
        [
            new($"{b}/collections/{c.Id}/items/{id}", "self", GeoJson, "This feature"),
            new($"{b}/collections/{c.Id}/items/{id}?f=html", "alternate", Html, "This feature as HTML"),
            new($"{b}/collections/{c.Id}", "collection", Json, c.Layer.Title),
        ];
        http.Response.Headers["Content-Crs"] = $"<{crs.Uri}>";
        if (c.Id == "properties")
        {
            // The registry version as the ETag, so an OGC client can replace or delete with If-Match (Part 4).
            await using var version = db.CreateCommand("SELECT version FROM properties WHERE id = $1");
            version.Parameters.Add(new NpgsqlParameter { Value = id });
            if (await version.ExecuteScalarAsync(ct) is int v) http.Response.Headers.ETag = "\"v" + v.ToString(CultureInfo.InvariantCulture) + "\"";
        }
        // PostGIS's text is kept as is; the links are appended inside its closing brace.
        return Results.Text(text[..^1] + ",\"links\":" + JsonSerializer.Serialize(links, JsonOptions) + "}", GeoJson + "; charset=utf-8");
    });
}
