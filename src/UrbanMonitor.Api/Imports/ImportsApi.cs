using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Npgsql;
using UrbanMonitor.Api.Audit;
using UrbanMonitor.Api.Auth;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Database.Imports;

namespace UrbanMonitor.Api.Imports;

/// <summary>
/// Layer uploads as import jobs (admins only): <c>POST /api/cities/{slug}/layers/{layer}</c> → 202 with <c>Location:
/// /api/imports/{id}</c>; <c>GET /api/imports/{id}</c> (status, counts, first issues) and its full per-feature report.
/// </summary>
public static class ImportsApi
{
    private static readonly string JobSql = Sql.Load("Imports/job.sql");
    private static readonly string ReportSql = Sql.Load("Imports/report.sql");
    private static readonly HashSet<string> ReservedParameters = new(StringComparer.Ordinal) { "mode", "crs", "source", "licence" };

    public static WebApplicationBuilder AddImports(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ImportOptions>().BindConfiguration("Imports");
        builder.Services.AddSingleton<ImportQueue>();
        builder.Services.AddSingleton(sp => new ImportRunner(sp.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddHostedService<ImportWorker>();
        return builder;
    }

    public static IEndpointRouteBuilder MapImportsApi(this IEndpointRouteBuilder app)
    {
        var imports = app.MapGroup("").RequireAuthorization(AuthApi.Policies.Admin).WithTags("Imports");
        imports.MapPost("/api/cities/{slug}/layers/{layer}", Upload).WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute()).WithName("ImportLayer")
            .WithSummary("Upload a layer (GeoJSON, GeoPackage, zipped Shapefile, CSV with WKT, GTFS zip) as an import job")
            .WithDescription("Query: mode=all-or-nothing|valid-only, crs=EPSG:<code> (else the file's), source, licence, " +
                             "column values (epoch=2015, kind=school, hazard=flood, capacity=high, transit-mode=metro) and " +
                             "mappings map.<column>=<attribute>. Body: the file, raw or as multipart field 'file'.")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute())
            .WithFormOptions(multipartBodyLengthLimit: long.MaxValue)
            .DisableAntiforgery()
            .Produces(StatusCodes.Status202Accepted, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        imports.MapGet("/api/imports/{id:guid}", GetJob).WithName("GetImport")
            .WithSummary("An import job: status, phase, counts and its first 100 issues")
            .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status404NotFound);
        imports.MapGet("/api/imports/{id:guid}/report", GetReport).WithName("GetImportReport")
            .WithSummary("Every rejected feature of an import: index, rule, reason and location (WKT)")
            .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    internal static async Task<IResult> Upload(
        string slug, string layer, HttpContext http, ImportRunner runner, ImportQueue queue, IOptions<ImportOptions> options, CancellationToken ct)
    {
        var q = http.Request.Query;
        var file = Path.Combine(options.Value.UploadFolder ?? Path.GetTempPath(), "um-upload-" + Guid.NewGuid().ToString("N"));
        var keep = false;
        try
        {
            var (ok, name, problem) = await SaveUploadAsync(http, file, options.Value.MaxUploadBytes, ct);
            if (!ok) return problem!;
            var request = new ImportRequest(
                slug, layer,
                Mode: q["mode"].FirstOrDefault() ?? "all-or-nothing",
                Crs: q["crs"].FirstOrDefault(),
                Options: q.Where(kv => !ReservedParameters.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal),
                Source: q["source"].FirstOrDefault(),
                Licence: q["licence"].FirstOrDefault(),
                FileName: name,
                RequestedBy: AuditActor.Of(http.User));
            var job = await runner.PrepareAsync(request, file, ct);
            await queue.EnqueueAsync(job, file, ct);
            keep = true;
            var location = $"/api/imports/{job.JobId}";
            return TypedResults.Accepted(location, new
            {
                id = job.JobId,
                status = "queued",
                layer = job.Layer.Id,
                format = job.Source.Format,
                crs = $"EPSG:{job.Srid}",
                mode = request.Mode,
                links = new[] { new { rel = "status", type = "application/json", href = location } },
            });
        }
        catch (ImportRejectedException e)
        {
            return TypedResults.Problem(type: Problems.Prefix + e.Kind, title: "Upload refused", detail: e.Message, statusCode: e.Status);
        }
        catch (CityNotFoundException e)
        {
            return Problems.CityMissing(e.Slug);
        }
        finally
        {
            if (!keep) File.Delete(file);
        }
    }

    // Streams the body (raw, or the first multipart file) to disk, never into memory, enforcing the size limit.
    private static async Task<(bool Ok, string? Name, IResult? Problem)> SaveUploadAsync(HttpContext http, string path, long max, CancellationToken ct)
    {
        if (http.Request.ContentLength > max) return (false, null, TooLarge(max));
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = max + 1;
        Stream body = http.Request.Body;
        string? name = null;
        // Only multipart is a form here: curl --data-binary labels a raw file application/x-www-form-urlencoded.
        if (http.Request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
        {
            IFormCollection form;
            try
            {
                form = await http.Request.ReadFormAsync(ct);
            }
            catch (InvalidDataException e)
            {
                return (false, null, TypedResults.Problem(type: Problems.BadRequest, title: "Unreadable form", statusCode: 400,
                    detail: "The multipart form cannot be read: " + e.Message));
            }
            var upload = form.Files.GetFile("file") ?? form.Files.FirstOrDefault();
            if (upload is null)
                return (false, null, TypedResults.Problem(type: Problems.BadRequest, title: "No file", statusCode: 400,
                    detail: "The multipart form holds no file: send it in the field 'file'."));
            name = upload.FileName;
            body = upload.OpenReadStream();
        }
        try
        {
            await using var output = File.Create(path);
            var buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer, ct)) > 0)
            {
                total += n;
                if (total > max) return (false, name, TooLarge(max));
                await output.WriteAsync(buffer.AsMemory(0, n), ct);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (false, name, TooLarge(max));
        }
        return (true, name, null);
    }

    private static IResult TooLarge(long max) => TypedResults.Problem(type: Problems.Prefix + "too-large", title: "Upload too large",
        statusCode: StatusCodes.Status413PayloadTooLarge, detail: $"The upload exceeds the limit of {max:N0} bytes (Imports:MaxUploadBytes).");

    internal static async Task<IResult> GetJob(Guid id, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(JobSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        return await cmd.ExecuteScalarAsync(ct) is string json
            ? Results.Text(json, "application/json; charset=utf-8")
            : ImportMissing(id);
    }

    internal static async Task GetReport(Guid id, NpgsqlDataSource db, HttpContext http, CancellationToken ct)
    {
        await using var exists = db.CreateCommand("SELECT 1 FROM import_jobs WHERE id = $1");
        exists.Parameters.Add(new NpgsqlParameter { Value = id });
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await ImportMissing(id).ExecuteAsync(http);
            return;
        }
        await using var cmd = db.CreateCommand(ReportSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        http.Response.ContentType = "application/json; charset=utf-8";
        var writer = http.Response.BodyWriter;
        await writer.WriteAsync("["u8.ToArray(), ct);
        var first = true;
        while (await reader.ReadAsync(ct))
        {
            if (!first) await writer.WriteAsync(",\n"u8.ToArray(), ct);
            first = false;
            await writer.WriteAsync(System.Text.Encoding.UTF8.GetBytes(reader.GetString(0)), ct);
        }
        await writer.WriteAsync("]"u8.ToArray(), ct);
    }

    private static IResult ImportMissing(Guid id) => TypedResults.Problem(type: Problems.NotFound, title: "Import not found",
        statusCode: StatusCodes.Status404NotFound, detail: $"There is no import job {id}.");
}
