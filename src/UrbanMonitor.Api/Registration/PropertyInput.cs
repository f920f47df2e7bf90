using System.Globalization;
using System.Text.Json;
using UrbanMonitor.Domain.Codes;

namespace UrbanMonitor.Api.Registration;

/// <summary>A party and its right on a property. <c>Share</c> is a fraction in (0, 1]; the shares of one property sum to 1.</summary>
public sealed record RightInput(string Kind, decimal Share, string PartyKind, string PartyName, string? IdDocument);

/// <summary>
/// The body of a registration request: a GeoJSON Feature whose properties name the city, district, block and parcel
/// (strings or integers), optional <c>attributes</c> (an object), <c>rights</c>, <c>sources</c> (the source documents:
/// <c>[{"kind": "qabala" | "deed" | "survey-record" | "other", "reference": "…", "date": "yyyy-MM-dd"}]</c>) and, for
/// edits, a <c>reason</c>. <see cref="SourcesJson"/> is the normalised array, null when the Feature has none.
/// The geometry is kept as GeoJSON text for PostGIS to parse; null when the Feature has none.
/// </summary>
public sealed record PropertyInput(
    string? City, string? District, string? Block, string? Parcel,
    string? GeometryJson, string? AttributesJson, IReadOnlyList<RightInput> Rights, string? Reason, string? SourcesJson = null)
{
    public static readonly string[] SourceKinds = ["qabala", "deed", "survey-record", "other"];

    public static readonly string[] RightKinds = ["ownership", "occupancy-certificate", "customary", "lease", "informal-occupancy"];
    public static readonly string[] PartyKinds = ["person", "group", "organisation"];

    /// <summary>Reads a Feature; throws <see cref="FormatException"/> with a plain-words reason when it is not one.</summary>
    public static PropertyInput Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "Feature")
            throw new FormatException("The body must be a GeoJSON Feature (\"type\": \"Feature\").");
        string? geometry = null;
        if (root.TryGetProperty("geometry", out var g) && g.ValueKind == JsonValueKind.Object) geometry = g.GetRawText();
        else if (root.TryGetProperty("geometry", out g) && g.ValueKind != JsonValueKind.Null)
            throw new FormatException("The Feature's geometry must be a GeoJSON geometry object.");

        var props = root.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        string? Text(string name)
        {
            if (props.ValueKind != JsonValueKind.Object || !props.TryGetProperty(name, out var v)) return null;
            return v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                JsonValueKind.Null => null,
                _ => throw new FormatException($"The property '{name}' must be a string or a number."),
            };
        }

        string? attributes = null;
        if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty("attributes", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind != JsonValueKind.Object) throw new FormatException("'attributes' must be an object.");
            attributes = a.GetRawText();
        }

        var rights = new List<RightInput>();
        if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty("rights", out var r) && r.ValueKind != JsonValueKind.Null)
        {
            if (r.ValueKind != JsonValueKind.Array) throw new FormatException("'rights' must be an array.");
            var i = 0;
            foreach (var right in r.EnumerateArray())
            {
                rights.Add(ParseRight(right, i));
                i++;
            }
        }
        return new PropertyInput(Text("city"), Text("district"), Text("block"), Text("parcel"), geometry, attributes, rights, Text("reason"),
            props.ValueKind == JsonValueKind.Object && props.TryGetProperty("sources", out var src) && src.ValueKind != JsonValueKind.Null ? ParseSources(src) : null);
    }

    /// <summary>Checks the source documents and writes them back as a JSON array of {kind, reference, date}.</summary>
    private static string ParseSources(JsonElement sources)
    {
        if (sources.ValueKind != JsonValueKind.Array) throw new FormatException("'sources' must be an array of {kind, reference, date}.");
        var list = new List<Dictionary<string, string?>>();
        var i = 0;
        foreach (var s in sources.EnumerateArray())
        {
            string? Field(string name) => s.ValueKind == JsonValueKind.Object && s.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var kind = Field("kind");
            if (kind is null || !SourceKinds.Contains(kind))
                throw new FormatException($"sources[{i}]: 'kind' must be one of {string.Join(", ", SourceKinds)}.");
            var reference = Field("reference");
            if (string.IsNullOrWhiteSpace(reference)) throw new FormatException($"sources[{i}]: 'reference' (the document's number) is missing.");
            var date = Field("date");
            if (date is not null && !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                throw new FormatException($"sources[{i}]: 'date' must be a date like 2024-03-21.");
            list.Add(new Dictionary<string, string?> { ["kind"] = kind, ["reference"] = reference.Trim(), ["date"] = date });
            i++;
        }
        return JsonSerializer.Serialize(list);
    }

    private static RightInput ParseRight(JsonElement right, int index)
    {
        string Field(JsonElement e, string name, string what) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
                ? v.GetString()!
                : throw new FormatException($"rights[{index}]: {what} is missing.");
        var kind = Field(right, "kind", "the right's kind");
        if (!RightKinds.Contains(kind))
            throw new FormatException($"rights[{index}]: unknown right kind '{kind}' (one of {string.Join(", ", RightKinds)}).");
        if (!right.TryGetProperty("share", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetDecimal(out var share) || share <= 0 || share > 1)
            throw new FormatException($"rights[{index}]: 'share' must be a number in (0, 1].");
        if (!right.TryGetProperty("party", out var party) || party.ValueKind != JsonValueKind.Object)
            throw new FormatException($"rights[{index}]: 'party' (an object with kind, name and optional idDocument) is missing.");
        var partyKind = Field(party, "kind", "the party's kind");
        if (!PartyKinds.Contains(partyKind))
            throw new FormatException($"rights[{index}]: unknown party kind '{partyKind}' (one of {string.Join(", ", PartyKinds)}).");
        var name = Field(party, "name", "the party's name");
        string? document = party.TryGetProperty("idDocument", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        return new RightInput(kind, share, partyKind, name, document);
    }

    /// <summary>Why the code parts or rights cannot be registered; null when they can.</summary>
    public string? CreationProblem()
    {
        foreach (var (name, value) in new[] { ("city", City), ("district", District), ("block", Block), ("parcel", Parcel) })
        {
            if (string.IsNullOrWhiteSpace(value)) return $"The Feature's properties need '{name}'.";
            if (name != "city" && !PropertyCode.IsValidPart(value))
                return $"'{name}' ('{value}') cannot stand in a property code: no hyphens, slashes or spaces.";
        }
        if (GeometryJson is null) return "The Feature has no geometry.";
        if (Rights.Count > 0)
        {
            var sum = Rights.Sum(r => r.Share);
            if (Math.Abs(sum - 1m) > 0.0001m) return $"The shares of the rights sum to {sum.ToString(CultureInfo.InvariantCulture)}, not 1.";
        }
        return null;
    }
}
