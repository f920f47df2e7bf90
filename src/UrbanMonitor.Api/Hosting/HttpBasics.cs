namespace UrbanMonitor.Api.Hosting;

/// <summary>
/// HTTP behaviour every resource shares: HEAD answered as GET without its body (RFC 9110 §9.3.2; GDAL's /vsicurl/ and
/// link checkers ask HEAD first).
/// </summary>
public static class HttpBasics
{
    /// <summary>Runs a HEAD request as the GET of the same URL and throws its body away; headers (Content-Type,
    /// Content-Length, ETag, Cache-Control) are those of the GET. Must run before routing picks an endpoint.</summary>
    internal static async Task HeadAsGetAsync(HttpContext http, RequestDelegate next)
    {
        if (!HttpMethods.IsHead(http.Request.Method))
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
}
