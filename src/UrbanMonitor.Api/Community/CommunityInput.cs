using System.Globalization;
using System.Text.Json;
using UrbanMonitor.Domain.Geometry;
using UrbanMonitor.Domain.Text;

namespace UrbanMonitor.Api.Community;

/// <summary>
/// Reads the fields of a community request body (a JSON object) and collects every problem in plain words, so one 422
/// lists them all. Absent fields read as null; a field of the wrong kind is a problem, never silently ignored.
/// </summary>
internal sealed class CommunityInput(JsonElement body)
{
    // A GeoJSON Feature carries its fields in properties; a plain object carries them at the top.
    private readonly JsonElement root = body.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "Feature"
        && body.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : body;

    public List<string> Problems { get; } = [];

    public bool Has(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public string? Text(string name, int max = 300, bool required = false)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required) Problems.Add($"{name} is required.");
            return null;
        }
        if (v.ValueKind is JsonValueKind.Number) return v.GetRawText();
        if (v.ValueKind != JsonValueKind.String) { Problems.Add($"{name} must be a string."); return null; }
        var s = v.GetString()!.Trim();
        if (s.Length == 0) { if (required) Problems.Add($"{name} must not be empty."); return null; }
        if (TextRules.Problem(name, s, max) is { } why) { Problems.Add(why); return null; }
        return s;
    }

    public string? OneOf(string name, IReadOnlyList<string> allowed, bool required = false)
    {
        var s = Text(name, 64, required);
        if (s is not null && !allowed.Contains(s)) { Problems.Add($"{name} must be one of {string.Join(", ", allowed)}; '{s}' is not."); return null; }
        return s;
    }

    public DateOnly? Date(string name, bool required = false)
    {
        var s = Text(name, 10, required);
        if (s is null) return null;
        if (DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        Problems.Add($"{name} must be a date written yyyy-MM-dd; '{s}' is not.");
        return null;
    }

    public int? Int(string name, bool required = false)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required) Problems.Add($"{name} is required.");
            return null;
        }
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 0) return n;
        Problems.Add($"{name} must be a whole number, 0 or more.");
        return null;
    }

    public decimal? Money(string name, bool required = false, bool positive = false)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required) Problems.Add($"{name} is required.");
            return null;
        }
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var m) && (positive ? m > 0 : m >= 0) && m < 100_000_000_000_000m
            && decimal.Round(m, 2) == m)
            return m;
        Problems.Add($"{name} must be an amount {(positive ? "above 0" : "of 0 or more")} with at most two decimals.");
        return null;
    }

    public bool? Bool(string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
        Problems.Add($"{name} must be true or false.");
        return null;
    }

    /// <summary>The needs ranked, most pressing first: known needs, each once.</summary>
    public string[]? Needs(string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
        {
            Problems.Add($"{name} must be a non-empty array of needs, most pressing first, from: {string.Join(", ", CommunityApi.Needs)}.");
            return null;
        }
        var needs = new List<string>();
        foreach (var e in v.EnumerateArray())
        {
            var s = e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            if (s is null || !CommunityApi.Needs.Contains(s))
            {
                Problems.Add($"{name}[{needs.Count}] must be one of {string.Join(", ", CommunityApi.Needs)}; {e.GetRawText()} is not.");
                return null;
            }
            if (needs.Contains(s)) { Problems.Add($"{name} names {s} twice; a ranking names each need once."); return null; }
            needs.Add(s);
        }
        return [.. needs];
    }

    /// <summary>The GeoJSON geometry object's text, or null when absent (a problem when required).</summary>
    public string? Geometry(bool required)
    {
        if (!body.TryGetProperty("geometry", out var g) || g.ValueKind == JsonValueKind.Null)
        {
            if (required) Problems.Add("geometry is required: a GeoJSON geometry object (coordinates in EPSG:4326 unless ?crs= says otherwise).");
            return null;
        }
        if (g.ValueKind != JsonValueKind.Object || !g.TryGetProperty("type", out _) || !g.TryGetProperty("coordinates", out _))
        {
            Problems.Add("geometry must be a GeoJSON geometry object with type and coordinates.");
            return null;
        }
        if (GeoJsonPositions.Problem(g) is { } malformed)
        {
            Problems.Add(malformed);
            return null;
        }
        return g.GetRawText();
    }
}
