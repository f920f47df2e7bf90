using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace UrbanMonitor.Api.Features.Cql2;

/// <summary>Parses CQL2 JSON into the same tree as <see cref="Cql2TextParser"/>; errors name the JSON path.</summary>
public static class Cql2JsonParser
{
    private static readonly JsonSerializerOptions GeoJson = new() { Converters = { new GeoJsonConverterFactory() } };

    private static readonly HashSet<string> Comparisons = ["=", "<>", "<", "<=", ">", ">="];

    public static Cql2Node Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new Cql2Exception($"Invalid CQL2 JSON: not JSON ({e.Message}).");
        }
        using (doc) return Expression(doc.RootElement, "$");
    }

    private static Cql2Exception Error(string at, string what) => new($"Invalid CQL2 JSON at {at}: {what}.");

    private static Cql2Node Expression(JsonElement e, string at)
    {
        if (e.ValueKind == JsonValueKind.True || e.ValueKind == JsonValueKind.False) return new Cql2Boolean(at, e.GetBoolean());
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("op", out var opElement) || opElement.ValueKind != JsonValueKind.String)
            throw Error(at, "expected an object with \"op\" and \"args\"");
        var op = opElement.GetString()!;
        if (!e.TryGetProperty("args", out var argsElement) || argsElement.ValueKind != JsonValueKind.Array)
            throw Error(at, $"operator '{op}' needs an \"args\" array");
        var args = argsElement.EnumerateArray().ToList();
        string ArgAt(int i) => $"{at}.args[{i}]";
        void Count(int n)
        {
            if (args.Count != n) throw Error(at, $"operator '{op}' takes {n} arguments, not {args.Count}");
        }
        var lower = op.ToLowerInvariant();
        switch (lower)
        {
            case "and":
            case "or":
                if (args.Count < 2) throw Error(at, $"'{op}' needs at least 2 arguments");
                var list = args.Select((a, i) => Expression(a, ArgAt(i))).ToList();
                return lower == "and" ? new Cql2And(at, list) : new Cql2Or(at, list);
            case "not":
                Count(1);
                return new Cql2Not(at, Expression(args[0], ArgAt(0)));
            case "like":
                Count(2);
                return new Cql2Like(at, Scalar(args[0], ArgAt(0)), Scalar(args[1], ArgAt(1)), false);
            case "between":
                Count(3);
                return new Cql2Between(at, Scalar(args[0], ArgAt(0)), Scalar(args[1], ArgAt(1)), Scalar(args[2], ArgAt(2)), false);
            case "in":
                Count(2);
                if (args[1].ValueKind != JsonValueKind.Array || args[1].GetArrayLength() == 0) throw Error(ArgAt(1), "'in' needs a non-empty array of values");
                return new Cql2In(at, Scalar(args[0], ArgAt(0)), args[1].EnumerateArray().Select((v, i) => Scalar(v, $"{ArgAt(1)}[{i}]")).ToList(), false);
            case "isnull":
                Count(1);
                return new Cql2IsNull(at, Scalar(args[0], ArgAt(0)), false);
        }
        if (Comparisons.Contains(op))
        {
            Count(2);
            return new Cql2Compare(at, op, Scalar(args[0], ArgAt(0)), Scalar(args[1], ArgAt(1)));
        }
        if (Cql2TextParser.SpatialOps.Contains(lower))
        {
            Count(2);
            return new Cql2Spatial(at, lower, Scalar(args[0], ArgAt(0)), Scalar(args[1], ArgAt(1)));
        }
        if (Cql2TextParser.TemporalOps.Contains(lower))
        {
            Count(2);
            return new Cql2Temporal(at, lower, Scalar(args[0], ArgAt(0)), Scalar(args[1], ArgAt(1)));
        }
        throw Error(at, $"unknown or unsupported operator '{op}'");
    }

    private static Cql2Node Scalar(JsonElement e, string at)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String: return new Cql2String(at, e.GetString()!);
            case JsonValueKind.Number:
                return e.TryGetDecimal(out var d) ? new Cql2Number(at, d) : throw Error(at, "number out of range");
            case JsonValueKind.True:
            case JsonValueKind.False: return new Cql2Boolean(at, e.GetBoolean());
            case JsonValueKind.Object: break;
            default: throw Error(at, $"expected a value, a property or a geometry, not {e.ValueKind.ToString().ToLowerInvariant()}");
        }
        if (e.TryGetProperty("property", out var p))
            return p.ValueKind == JsonValueKind.String ? new Cql2Property(at, p.GetString()!) : throw Error(at, "\"property\" must be a string");
        if (e.TryGetProperty("date", out var date))
            return date.ValueKind == JsonValueKind.String && Cql2Literals.TryDate(date.GetString()!, out var dv)
                ? new Cql2Date(at, dv) : throw Error(at, "\"date\" must be a string YYYY-MM-DD");
        if (e.TryGetProperty("timestamp", out var ts))
            return ts.ValueKind == JsonValueKind.String && Cql2Literals.TryTimestamp(ts.GetString()!, out var tv)
                ? new Cql2Timestamp(at, tv) : throw Error(at, "\"timestamp\" must be an RFC 3339 timestamp string");
        if (e.TryGetProperty("interval", out var interval))
        {
            if (interval.ValueKind != JsonValueKind.Array || interval.GetArrayLength() != 2) throw Error(at, "\"interval\" must be an array of 2 ends");
            return new Cql2Interval(at, IntervalEnd(interval[0], at + ".interval[0]"), IntervalEnd(interval[1], at + ".interval[1]"));
        }
        if (e.TryGetProperty("bbox", out var bbox))
        {
            var n = bbox.ValueKind == JsonValueKind.Array ? bbox.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.Number).Select(v => v.GetDouble()).ToList() : [];
            if (n.Count != bbox.GetArrayLength() || n.Count is not (4 or 6)) throw Error(at, "\"bbox\" must be an array of 4 (or 6) numbers");
            var (x1, y1, x2, y2) = n.Count == 4 ? (n[0], n[1], n[2], n[3]) : (n[0], n[1], n[3], n[4]);
            return new Cql2Geometry(at, new GeometryFactory().ToGeometry(new Envelope(x1, x2, y1, y2)));
        }
        if (e.TryGetProperty("type", out _) && e.TryGetProperty("coordinates", out _) || e.TryGetProperty("geometries", out _))
        {
            try
            {
                var g = JsonSerializer.Deserialize<Geometry>(e.GetRawText(), GeoJson);
                return g is null || g.IsEmpty ? throw Error(at, "empty geometry") : new Cql2Geometry(at, g);
            }
            catch (Exception x) when (x is JsonException or ArgumentException or InvalidOperationException or NotSupportedException or FormatException)
            {
                throw Error(at, $"invalid GeoJSON geometry ({x.Message})");
            }
        }
        if (e.TryGetProperty("op", out _)) throw Error(at, "a condition is not allowed here; expected a value or a property");
        throw Error(at, "expected a property, a date, a timestamp, an interval, a bbox or a GeoJSON geometry");
    }

    private static Cql2Node? IntervalEnd(JsonElement e, string at)
    {
        if (e.ValueKind != JsonValueKind.String) throw Error(at, "an interval end must be a string");
        var s = e.GetString()!;
        if (s == "..") return null;
        return Cql2Literals.Instant(at, s) ?? throw Error(at, $"'{s}' is neither a date nor an RFC 3339 timestamp");
    }
}
