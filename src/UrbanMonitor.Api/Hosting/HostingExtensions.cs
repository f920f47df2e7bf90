using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using Npgsql;
using Scalar.AspNetCore;
using UrbanMonitor.Database;

namespace UrbanMonitor.Api.Hosting;

/// <summary>Cross-cutting wiring: configuration, the one data source, problem details, health, OpenAPI.</summary>
public static class HostingExtensions
{
    public static WebApplicationBuilder AddUrbanMonitorHosting(this WebApplicationBuilder builder)
    {
        builder.Configuration.AddEnvironmentVariables("URBANMONITOR_");

        builder.Services.AddOptions<DatabaseOptions>()
            .BindConfiguration("Database")
            .PostConfigure<IConfiguration>((o, config) =>
            {
                if (config["DB"] is { Length: > 0 } db) o.ConnectionString = db;
            })
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString),
                "No database configured: set URBANMONITOR_DB to an Npgsql connection string of a PostGIS database (./run.sh does this for you).")
            .ValidateOnStart();

        // Writes, listeners and health go to the primary (NpgsqlDataSource); routed reads through ReadDatabase.
        builder.Services.AddSingleton(sp =>
        {
            var (primary, reads) = UrbanMonitorDataSource.CreateReadWrite(
                sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString, "urbanmonitor-api");
            return new ReadDatabase(primary, reads);
        });
        builder.Services.AddSingleton(sp => sp.GetRequiredService<ReadDatabase>().Primary);

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            // Replace ASP.NET's generic RFC 9110 links with our stable per-kind types.
            if (ctx.ProblemDetails.Type is null || ctx.ProblemDetails.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
                ctx.ProblemDetails.Type = Problems.TypeFor(ctx.ProblemDetails.Status);
            ctx.ProblemDetails.Instance ??= ctx.HttpContext.Request.Path;
        });
        builder.Services.AddHealthChecks()
            .AddNpgSql(sp => sp.GetRequiredService<NpgsqlDataSource>(), name: "postgis", tags: ["ready"], timeout: TimeSpan.FromSeconds(3))
            .AddCheck<MigrationsHealthCheck>("migrations", tags: ["ready"])
            .AddCheck<Features.ChangeFeedHealthCheck>("changeFeed", tags: ["ready"]);
        builder.Services.AddOptions<Features.ChangeFeedOptions>().BindConfiguration("Features");
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "UrbanMonitor";
            doc.Info.Description = "Geospatial analysis service for cities: property registration, informal settlements, SDG 11 indicators, tiles and OGC API - Features.";
            doc.Info.Version = "1";
            return Task.CompletedTask;
        }));
        // gzip/brotli when the client asks (Accept-Encoding); the GeoJSON feeds are streamed through it.
        builder.Services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(["application/geo+json", "application/schema+json", "application/problem+json"]);
        });
        // Reads may come from web maps on any origin (a GIS team's OpenLayers page): GET and HEAD are shared with every
        // origin, Authorization included (a bearer token is never sent by a browser on its own, unlike a cookie, so
        // sharing grants another site nothing it does not already hold). Writes stay same-origin.
        builder.Services.AddCors(o => o.AddDefaultPolicy(p => p
            .AllowAnyOrigin().WithMethods(HttpMethods.Get, HttpMethods.Head).AllowAnyHeader()
            .WithExposedHeaders("ETag", "Link", "Location", "Content-Crs", "Content-Disposition", "Retry-After")
            .SetPreflightMaxAge(TimeSpan.FromHours(1))));
        builder.Services.AddHostedService<DatabaseStartupProbe>();
        builder.AddUrbanMonitorLimits();
        return builder;
    }

    public static WebApplication UseUrbanMonitorHosting(this WebApplication app)
    {
        app.Use(HttpBasics.HeadAsGetAsync);
        app.UseRouting(); // explicitly after HEAD became GET, so a HEAD finds the GET endpoint
        app.UseCors(); // answers preflights itself, before authentication and the rate limits
        app.UseResponseCompression();
        app.UseExceptionHandler();
        app.Use(HttpBasics.RefuseNulInQueryAsync);
        app.Use(ReadDatabase.RetryReadOnceAsync);
        app.UseStatusCodePages(HttpBasics.WriteStatusProblemAsync);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseUrbanMonitorLimits();
        return app;
    }

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthWriter.WriteAsync })
            .WithTags("Health").WithName("Alive");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthWriter.WriteAsync })
            .WithTags("Health").WithName("Ready");
        app.MapGet("/health/reads", ReadDatabase.ReadsAsync).WithTags("Health").WithName("ReadsRoute")
            .WithSummary("Which database server this caller's reads reach: standby (in recovery) or primary");
        return app;
    }

    public static IEndpointRouteBuilder MapApiDocs(this IEndpointRouteBuilder app)
    {
        // GDAL's OAPIF driver and the OGC landing page look for the OpenAPI document at /api.
        app.MapOpenApi("/api");
        app.MapScalarApiReference("/docs", o => o.WithOpenApiRoutePattern("/api"));
        return app;
    }
}
