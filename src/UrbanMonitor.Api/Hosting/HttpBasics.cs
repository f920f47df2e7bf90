using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace UrbanMonitor.Api.Hosting;

/// <summary>
/// HTTP behaviour every resource shares: HEAD answered as GET without its body (RFC 9110 §9.3.2; GDAL's /vsicurl/ and
/// link checkers ask HEAD first), a NUL in the query string refused before any parameter reaches PostgreSQL (which
/// cannot store it in text), and the bare status codes of routing and authentication (404, 405, 401, 403) written as
/// problem+json with a reason, whatever the client's Accept header says.
/// </summary>
public static class HttpBasics
{
    /// <summary>Runs a HEAD request as the GET of the same URL and throws its body away; headers (Content-Type,
    /// Content-Length, ETag, Cache-Control) are those of the GET. Must run before routing picks an endpoint.
    /// Only for the resources GIS clients probe (<see cref="HeadServes"/>): a GET that issues something (a certificate
    /// takes the next number of a gapless series), seals the audit log or builds a whole file (exports, offline
    /// packages) is not run for a HEAD, which stays a 405 there.</summary>
    internal static async Task HeadAsGetAsync(HttpContext http, RequestDelegate next)
    {
        if (!HttpMethods.IsHead(http.Request.Method) || !HeadServes(http.Request.Path))
        {
            await next(http);
            return;
        }
        var body = http.Response.Body;
        http.Request.Method = HttpMethods.Get;
        http.Response.Body = Stream.Null;
        try
        {
            await next(http);
        }
        finally
        {
            http.Request.Method = HttpMethods.Head;
            http.Response.Body = body;
        }
    }

    /// <summary>The read-only, cheap resources a HEAD is answered on: the OGC landing page, conformance and collections
    /// (items, queryables, tiles; not exports), map tiles and TileJSON, the OpenAPI document, cities and districts (not
    /// their packages), the viewer's files and health.</summary>
    internal static bool HeadServes(PathString path)
    {
        var p = path.Value ?? "/";
        if (p.EndsWith("/export", StringComparison.Ordinal) || p.Contains("/package.", StringComparison.Ordinal)) return false;
        return p is "/" or "/conformance" or "/api" or "/docs"
               || p.StartsWith("/collections", StringComparison.Ordinal) || p.StartsWith("/tiles", StringComparison.Ordinal)
               || p.StartsWith("/api/cities", StringComparison.Ordinal) || p.StartsWith("/viewer", StringComparison.Ordinal)
               || p.StartsWith("/health", StringComparison.Ordinal);
    }

    /// <summary>A query string holding NUL (<c>%00</c>) → 400: no parameter takes it, and PostgreSQL refuses it in text
    /// with an encoding error that would otherwise surface as a 500.</summary>
    internal static async Task RefuseNulInQueryAsync(HttpContext http, RequestDelegate next)
    {
        var raw = http.Request.QueryString.Value;
        if (raw is not null && raw.Contains("%00", StringComparison.Ordinal))
        {
            foreach (var (key, values) in http.Request.Query)
            {
                if (!key.Contains('\0') && !values.Any(v => v is not null && v.Contains('\0'))) continue;
                await TypedResults.Problem(type: Problems.InvalidParameter, title: "NUL character in the query", statusCode: StatusCodes.Status400BadRequest,
                    detail: $"The query parameter '{key.Replace("\0", "%00", StringComparison.Ordinal)}' holds a NUL character (%00), which no parameter accepts.")
                    .ExecuteAsync(http);
                return;
            }
        }
        await next(http);
    }

    /// <summary>The body of a response that has only a status code so far (no route, wrong method, no or too weak a
    /// token): problem+json with the status's type and a plain reason.</summary>
    internal static Task WriteStatusProblemAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        var path = http.Request.Path.Value;
        var detail = status switch
        {
            StatusCodes.Status404NotFound =>
                $"Nothing is served at {path}. The resources are listed in the OpenAPI document at /api (readable at /docs); OGC API - Features starts at /.",
            StatusCodes.Status405MethodNotAllowed =>
                $"{http.Request.Method} is not allowed on {path}; it answers {(http.Response.Headers.Allow.Count > 0 ? http.Response.Headers.Allow.ToString() : "other methods")}.",
            StatusCodes.Status401Unauthorized =>
                $"{path} needs a bearer token: send Authorization: Bearer <token> (tokens are issued by `urbanmonitor users token`).",
            StatusCodes.Status403Forbidden =>
                $"The token's roles or districts do not allow {http.Request.Method} on {path}.",
            _ => $"{ReasonPhrases.GetReasonPhrase(status)} ({path}).",
        };
        return TypedResults.Problem(type: Problems.TypeFor(status), title: ReasonPhrases.GetReasonPhrase(status), statusCode: status, detail: detail)
            .ExecuteAsync(http);
    }
}
