using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace UrbanMonitor.Api.Hosting;

/// <summary>Writes a health report as JSON: overall status and, per check, its status and description.</summary>
internal static class HealthWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description ?? e.Value.Exception?.Message,
            }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
