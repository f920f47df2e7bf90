using System.Globalization;
using System.Text.Json;
using UrbanMonitor.Domain.Codes;
using UrbanMonitor.Domain.Text;

namespace UrbanMonitor.Database.Registration;

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

    /// <summary>Most positions one geometry may have (a surveyed parcel has tens; this leaves room for digitised curves).</summary>
    public const int MaxPositions = 100_000;

    /// <summary>The extent of the geometry's positions as sent (in the request's CRS); null without geometry.</summary>
    public (double MinX, double MinY, double MaxX, double MaxY)? Extent { get; private init; }

    /// <summary>Reads a Feature; throws <see cref="FormatException"/> with a plain-words reason when it is not one
    /// (<see cref="GeoJsonFormatException"/> when the geometry's positions are malformed).</summary>
    public static PropertyInput Parse(JsonElement root)
    {
        PropertyInput input;
        try
        {
            input = ParseFeature(root);
        }
        catch (InvalidOperationException e) // only JSON reading happens in ParseFeature
        {
            throw new FormatException("The Feature holds text that is not valid Unicode (invalid UTF-8 bytes or half of a UTF-16 surrogate pair): " + e.Message);
        }
        foreach (var (field, value, max) in new[] { ("city", input.City, 64), ("district", input.District, 32), ("block", input.Block, 32), ("parcel", input.Parcel, 32), ("reason", input.Reason, 2000) })
            if (value is not null && TextRules.Problem(field, value, max) is { } why) throw new FormatException(why);
        for (var i = 0; i < input.Rights.Count; i++)
        {
            if (TextRules.Problem($"rights[{i}].party.name", input.Rights[i].PartyName, 300) is { } why) throw new FormatException(why);
            if (input.Rights[i].IdDocument is { } document && TextRules.Problem($"rights[{i}].party.idDocument", document, 100) is { } bad) throw new FormatException(bad);
        }
        return input;
    }

    /// <summary>Why the positions cannot be in <paramref name="srid"/> (longitude/latitude out of range in EPSG:4326), or null.</summary>
    public string? CoordinateProblem(int srid)
    {
        if (srid != 4326 || Extent is not { } e) return null;
        if (e.MinX >= -180 && e.MaxX <= 180 && e.MinY >= -90 && e.MaxY <= 90) return null;
        var swapped = e.MinY >= -180 && e.MaxY <= 180 && e.MinX >= -90 && e.MaxX <= 90 ? " Are longitude and latitude swapped? GeoJSON puts longitude (x) first." : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"Coordinates out of range for EPSG:4326: x from {e.MinX} to {e.MaxX}, y from {e.MinY} to {e.MaxY}; longitude must lie in -180..180 and latitude in -90..90.{swapped} Other CRS: send ?crs=EPSG:<code>.");
    }

    // Checks every position is [x, y] of finite numbers and there are not too many; returns their extent.
    private static (double, double, double, double) CheckPositions(JsonElement geometry)
    {
        var count = 0;
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        void Walk(JsonElement e, string path)
        {
            if (e.ValueKind != JsonValueKind.Array) throw new GeoJsonFormatException($"{path} must be an array.");
            if (e.GetArrayLength() > 0 && e[0].ValueKind == JsonValueKind.Number)
            {
                var n = e.GetArrayLength();
                if (n != 2)
                    throw new GeoJsonFormatException(n < 2
                        ? $"{path} has {n} number(s); a position is [x, y]."
                        : $"{path} has {n} numbers; parcels are registered in 2D, so a position is [x, y] without altitude{(n > 3 ? " or measure" : "")}.");
                if (e[1].ValueKind != JsonValueKind.Number) throw new GeoJsonFormatException($"{path}[1] must be a number.");
                if (!e[0].TryGetDouble(out var x) || !e[1].TryGetDouble(out var y) || !double.IsFinite(x) || !double.IsFinite(y))
                    throw new GeoJsonFormatException($"{path} holds a number too large to be a coordinate.");
                if (++count > MaxPositions) throw new GeoJsonFormatException($"The geometry has more than {MaxPositions:N0} positions; simplify it or split the parcel.");
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
                return;
            }
            var i = 0;
            foreach (var child in e.EnumerateArray())
            {
                if (child.ValueKind != JsonValueKind.Array)
                    throw new GeoJsonFormatException($"{path}[{i}] must be {(child.ValueKind == JsonValueKind.String ? "a number, not a string" : "an array")}.");
                Walk(child, $"{path}[{i++}]");
            }
        }
        if (geometry.TryGetProperty("coordinates", out var coordinates)) Walk(coordinates, "geometry.coordinates");
        return (minX, minY, maxX, maxY);
    }

    private static PropertyInput ParseFeature(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "Feature")
            throw new FormatException("The body must be a GeoJSON Feature (\"type\": \"Feature\").");
        string? geometry = null;
        (double, double, double, double)? extent = null;
        if (root.TryGetProperty("geometry", out var g) && g.ValueKind == JsonValueKind.Object)
        {
            geometry = g.GetRawText();
            extent = CheckPositions(g);
            if (double.IsInfinity(extent.Value.Item1)) extent = null;
        }
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
            props.ValueKind == JsonValueKind.Object && props.TryGetProperty("sources", out var src) && src.ValueKind != JsonValueKind.Null ? ParseSources(src) : null)
        { Extent = extent };
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
                return $"'{name}' ('{value}') cannot stand in a property code: 1 to 32 letters or digits, dots or underscores (no hyphens, slashes, spaces or other signs).";
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

/// <summary>The geometry's positions are malformed (answered as <c>invalid-geojson</c>).</summary>
public sealed class GeoJsonFormatException(string message) : FormatException(message);
