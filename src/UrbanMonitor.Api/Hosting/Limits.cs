using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Npgsql;

namespace UrbanMonitor.Api.Hosting;

/// <summary>Limits (section <c>Limits</c>): request body size, requests per client.</summary>
public sealed class LimitOptions
{
    /// <summary>Largest request body outside the upload endpoints (which keep their own limit); larger → 413.</summary>
    public long MaxBodyBytes { get; set; } = 16L << 20;

    /// <summary>Sustained requests per second per client (token subject, else IP address); 0 turns the limiter off.</summary>
    public int PermitsPerSecond { get; set; } = 500;

    /// <summary>Requests a client may make at once above the sustained rate.</summary>
    public int Burst { get; set; } = 2000;

    /// <summary>Longest URL (path and query) accepted; longer → 414 problem+json. CQL2 filters travel in the URL, a polygon
    /// of a few hundred vertices among them, so this is four times Kestrel's default; at most
    /// <see cref="Limits.UrlCeiling"/>, past which Kestrel itself answers 414, without a body.</summary>
    public int MaxUrlBytes { get; set; } = 32 * 1024;
}

/// <summary>Request size and rate limits, and 503 with Retry-After while the database is unreachable.</summary>
public static class Limits
{
    public const string TooLarge = Problems.Prefix + "too-large";
    public const string RateLimited = Problems.Prefix + "rate-limited";
    public const string UrlTooLong = Problems.Prefix + "url-too-long";

    /// <summary>Kestrel's limit on the request line (method, URL, version), set above <see cref="LimitOptions.MaxUrlBytes"/>
    /// so that a URL over the service's limit is answered by the service, with a reason.</summary>
    public const int UrlCeiling = 65 * 1024;

    public static WebApplicationBuilder AddUrbanMonitorLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LimitOptions>().BindConfiguration("Limits");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null; // enforced per endpoint below
            k.Limits.MaxRequestLineSize = UrlCeiling; // the URL's own limit below
            k.Limits.Http2.MaxRequestHeaderFieldSize = UrlCeiling; // HTTP/2 carries the URL in a header (:path)
        });
        builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
        builder.Services.AddRateLimiter(o =>
        {
            // The limits are read when a client is first seen, so configuration added later (tests, environment) counts.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var limits = Options(http);
                return limits.PermitsPerSecond <= 0
                    ? RateLimitPartition.GetNoLimiter("off")
                    : RateLimitPartition.GetTokenBucketLimiter(ClientKey(http), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = Math.Max(1, limits.Burst),
                        TokensPerPeriod = limits.PermitsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    });
            });
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (ctx, ct) =>
            {
                var limits = Options(ctx.HttpContext);
                var retry = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                ctx.HttpContext.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Results.Problem(type: RateLimited, title: "Too many requests", statusCode: StatusCodes.Status429TooManyRequests,
                    detail: $"This client sent more than {limits.PermitsPerSecond} requests per second (bursts up to {limits.Burst}). Retry after {retry} s.")
                    .ExecuteAsync(ctx.HttpContext);
            };
        });
        return builder;
    }

    private static LimitOptions Options(HttpContext http) =>
        http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitOptions>>().Value;

    // Each signed-in user is one client, whatever their address; anonymous clients are told apart by address.
    private static string ClientKey(HttpContext http) =>
        http.User.FindFirst("sub")?.Value is { Length: > 0 } sub ? "user:" + sub
        : "ip:" + (http.Connection.RemoteIpAddress ?? IPAddress.Loopback);

    /// <summary>Refuses bodies over the limit with 413 problem+json before an endpoint reads them; endpoints with their
    /// own limit (uploads) carry <see cref="IRequestSizeLimitMetadata"/>.</summary>
    public static WebApplication UseUrbanMonitorLimits(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            var url = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path + http.Request.QueryString;
            var max = Options(http).MaxUrlBytes;
            if (url.Length > max)
            {
                await Results.Problem(type: UrlTooLong, title: "URL too long", statusCode: StatusCodes.Status414UriTooLong,
                    detail: $"The URL has {url.Length:N0} characters; at most {max:N0} are accepted. Ask for less in one request: fewer values in a filter's IN list, a simpler geometry (bbox= takes an area in four numbers), or several requests.")
                    .ExecuteAsync(http);
                return;
            }
            await next(http);
        });
        app.UseRateLimiter();
        app.Use(async (http, next) =>
        {
            var own = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>();
            var max = own is not null ? own.MaxRequestBodySize : Options(http).MaxBodyBytes;
            if (max is { } limit)
            {
                if (http.Request.ContentLength > limit)
                {
                    await Results.Problem(type: TooLarge, title: "Request too large", statusCode: StatusCodes.Status413PayloadTooLarge,
                        detail: $"The request body has {http.Request.ContentLength:N0} bytes; at most {limit:N0} are accepted here. Large files go through the import endpoints (POST /api/cities/{{slug}}/layers/{{layer}}).")
                        .ExecuteAsync(http);
                    return;
                }
                if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
            }
            await next(http);
        });
        return app;
    }
}

/// <summary>The database unreachable (stopped, restarting, network) → 503 problem+json with Retry-After; the service
/// keeps running and answers again as soon as the database is back (the pool reconnects by itself).</summary>
internal sealed class DatabaseUnavailableHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (!IsUnavailable(exception) || http.Response.HasStarted) return false;
        http.Response.Clear();
        http.Response.Headers.RetryAfter = "5";
        // A timeout is either side: the database unreachable, or a statement that ran past its time (a very large
        // request on a busy machine); the answer says both rather than blame the database for a request's size.
        var detail = TimedOut(exception)
            ? "The database did not answer in time: it cannot be reached just now, or this request needs more time than a request may take (ask for less: a smaller area, fewer cells or features). Nothing was changed; retry in a few seconds."
            : "The database cannot be reached just now; nothing was changed. Retry in a few seconds.";
        await Results.Problem(type: Problems.Unavailable, title: "Database unavailable", statusCode: StatusCodes.Status503ServiceUnavailable,
            detail: detail).ExecuteAsync(http);
        return true;
    }

    internal static bool TimedOut(Exception e) => e is TimeoutException || (e.InnerException is { } inner && TimedOut(inner));

    internal static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException p => p.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                                   or PostgresErrorCodes.TooManyConnections,
        // Not the server's answer to a statement: the connection (refused, broken, timed out).
        NpgsqlException => true,
        TimeoutException => true,
        _ => e.InnerException is { } inner && IsUnavailable(inner),
    };
}
