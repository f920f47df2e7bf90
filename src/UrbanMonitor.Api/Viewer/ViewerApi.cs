using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Tiles;

namespace UrbanMonitor.Api.Viewer;

/// <summary>The map viewer at <c>/viewer/</c>: the OpenLayers bundle built from <c>viewer/</c> (npm), and its start-up
/// configuration at <c>/viewer/config.json</c> (layers, optional basemap, demo users when running the demo).</summary>
public static class ViewerApi
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static WebApplicationBuilder AddViewer(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ViewerOptions>().BindConfiguration("Viewer");
        builder.Services.AddSingleton<ViewerFiles>();
        return builder;
    }

    public static IEndpointRouteBuilder MapViewer(this IEndpointRouteBuilder app)
    {
        app.MapGet("/viewer/config.json", Config).WithTags("Viewer").WithName("ViewerConfig")
            .WithSummary("The viewer's start-up configuration: tiled layers, optional basemap, demo users (demo only)");
        app.MapGet("/viewer/{**path}", File).ExcludeFromDescription();
        return app;
    }

    private static IResult Config(IOptions<ViewerOptions> options)
    {
        var o = options.Value;
        var layers = new JsonArray();
        foreach (var l in TileLayers.All)
            layers.Add(new JsonObject
            {
                ["id"] = l.Id,
                ["title"] = l.Layer.Title,
                ["description"] = l.Layer.Description,
                ["geometryType"] = l.Layer.GeometryType,
                ["minZoom"] = l.MinZoom,
                ["maxZoom"] = l.MaxZoom,
            });
        var doc = new JsonObject
        {
            ["layers"] = layers,
            ["basemap"] = string.IsNullOrWhiteSpace(o.BasemapUrl) ? null
                : new JsonObject { ["url"] = o.BasemapUrl, ["attribution"] = o.BasemapAttribution ?? "" },
            ["demoUsers"] = DemoUsers(o.DemoUsersFile),
        };
        return Results.Text(doc.ToJsonString(), "application/json", statusCode: 200);
    }

    // The users of the demo file, or null when none is configured (or it cannot be read: the viewer then asks for a token).
    private static JsonNode? DemoUsers(string? file)
    {
        if (string.IsNullOrWhiteSpace(file) || !System.IO.File.Exists(file)) return null;
        try
        {
            return JsonNode.Parse(System.IO.File.ReadAllText(file))?["users"]?.DeepClone();
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    private static IResult File(string? path, ViewerFiles files, HttpContext http)
    {
        // "/viewer" and "/viewer/" reach the same route; the bundle's relative URLs need the slash.
        if (!http.Request.Path.Value!.EndsWith('/') && string.IsNullOrEmpty(path))
            return Results.Redirect("/viewer/" + http.Request.QueryString);
        if (files.Provider is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: Problems.NotFound, title: "Viewer not built",
                detail: "The viewer's bundle was not found. Build it with: cd viewer && npm ci && npm run build (./run.sh does), or set Viewer:Folder.");
        // A name ending in '/' is a folder's index, as for any static site: "viewer.js/" names no file (the file system
        // reported it present and then failed to open it).
        var file = files.Provider.GetFileInfo(string.IsNullOrEmpty(path) ? "index.html" : path.EndsWith('/') ? path + "index.html" : path);
        if (!file.Exists || file.IsDirectory || file.PhysicalPath is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: Problems.NotFound, title: "Not found",
                detail: $"The viewer has no file '{path}'.");
        if (!ContentTypes.TryGetContentType(file.Name, out var type)) type = "application/octet-stream";
        // The bundle's names carry no hash: browsers revalidate (ETag) instead of keeping an old viewer.
        http.Response.Headers.CacheControl = "no-cache";
        var etag = new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{file.LastModified.ToUnixTimeMilliseconds():x}-{file.Length:x}\"");
        return Results.File(file.PhysicalPath, type, lastModified: file.LastModified, entityTag: etag);
    }
}

/// <summary>The viewer's folder, found once (see <see cref="ViewerOptions.Folder"/>); null provider when not built.</summary>
public sealed class ViewerFiles
{
    public ViewerFiles(IOptions<ViewerOptions> options, IWebHostEnvironment env)
    {
        var folder = options.Value.Folder is { Length: > 0 } f ? Path.GetFullPath(f) : Find(env.ContentRootPath) ?? Find(AppContext.BaseDirectory);
        if (folder is not null && System.IO.File.Exists(Path.Combine(folder, "index.html"))) Provider = new PhysicalFileProvider(folder);
    }

    public PhysicalFileProvider? Provider { get; }

    private static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "viewer", "dist");
            if (System.IO.File.Exists(Path.Combine(candidate, "index.html"))) return candidate;
        }
        return null;
    }
}
