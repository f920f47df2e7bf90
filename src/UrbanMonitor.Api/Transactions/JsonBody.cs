using System.Text.Json;
using UrbanMonitor.Api.Hosting;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Transactions;

/// <summary>Reads a small JSON object body (application/json) for the registry's action endpoints.</summary>
internal static class JsonBody
{
    public static async Task<(JsonElement Root, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType != "application/json")
            return (default, P.Problem(415, Problems.TypeFor(415), "Unsupported media type", "Send a JSON object as application/json."));
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return (default, P.Problem(400, Problems.BadRequest, "Malformed JSON", "The body must be a JSON object."));
            return (doc.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (default, P.Problem(400, Problems.BadRequest, "Malformed JSON", e.Message));
        }
    }

    public static string? Text(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { } s && s.Trim().Length > 0 ? s.Trim() : null;

    public static long? Long(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
}
