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
            if (UnstorableText(doc.RootElement, "") is { } why)
                return (default, P.Problem(400, Problems.BadRequest, "Text that cannot be stored", why));
            return (doc.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (default, P.Problem(400, Problems.BadRequest, "Malformed JSON", e.Message));
        }
    }

    /// <summary>Why a string (or member name) of <paramref name="e"/> cannot be read or stored, naming its JSON path, or
    /// null: invalid UTF-8 or half of a UTF-16 surrogate pair (<c>"\ud800"</c>) cannot be read as text, and PostgreSQL cannot store a NUL
    /// character in text or jsonb. Other characters are each field's own rules.</summary>
    public static string? UnstorableText(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return StringProblem(e, path);
            case JsonValueKind.Object:
                foreach (var member in e.EnumerateObject())
                {
                    string name;
                    try { name = member.Name; }
                    catch (InvalidOperationException) { return $"A member name in {Where(path)} {NotUnicode}"; }
                    var childPath = path.Length == 0 ? name : path + "." + name;
                    if (name.Contains('\0', StringComparison.Ordinal)) return $"A member name in {Where(path)} holds a NUL character (U+0000), which cannot be stored.";
                    if (UnstorableText(member.Value, childPath) is { } why) return why;
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                    if (UnstorableText(item, $"{path}[{i++}]") is { } why) return why;
                return null;
            default:
                return null;
        }
    }

    private static string? StringProblem(JsonElement e, string path)
    {
        string s;
        try { s = e.GetString()!; }
        catch (InvalidOperationException) { return $"'{path}' {NotUnicode}"; }
        var nul = s.IndexOf('\0', StringComparison.Ordinal);
        return nul < 0 ? null : $"'{path}' holds a NUL character (U+0000) at position {nul + 1}, which cannot be stored. Remove it and send the text again.";
    }

    private const string NotUnicode = "holds text that is not valid Unicode (invalid UTF-8 bytes or half of a UTF-16 surrogate pair). Send it again as valid Unicode.";

    private static string Where(string path) => path.Length == 0 ? "the body" : $"'{path}'";

    public static string? Text(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { } s && s.Trim().Length > 0 ? s.Trim() : null;

    public static long? Long(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
}
