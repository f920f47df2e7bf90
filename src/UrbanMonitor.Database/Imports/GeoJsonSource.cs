using System.Text;
using System.Text.Json;
using NetTopologySuite.IO.Converters;

namespace UrbanMonitor.Database.Imports;

/// <summary>
/// Streams the features of a GeoJSON FeatureCollection with <see cref="Utf8JsonReader"/> over a growing buffer:
/// only one feature is held at a time. Each feature's <c>properties</c> are kept as raw JSON text; its geometry is
/// parsed by GeoJSON4STJ. A legacy top-level <c>crs</c> member names the CRS; otherwise RFC 7946 EPSG:4326.
/// </summary>
public sealed class GeoJsonSource : FeatureSource
{
    private static readonly JsonSerializerOptions Options = CreateOptions();
    private readonly string _path;

    private static JsonSerializerOptions CreateOptions()
    {
        var o = new JsonSerializerOptions();
        o.Converters.Add(new GeoJsonConverterFactory(Factory));
        return o;
    }

    private GeoJsonSource(string path) => _path = path;

    public override string Format => "geojson";
    public override int? DefaultSrid => 4326;

    /// <summary>Checks the whole file is well-formed JSON holding a FeatureCollection, and reads a legacy <c>crs</c>.</summary>
    public static GeoJsonSource Open(string path)
    {
        var source = new GeoJsonSource(path);
        var sawFeatures = false;
        string? type = null;
        try
        {
            foreach (var (name, element) in TopLevelMembers(path, CancellationToken.None))
            {
                if (name == "type" && element is { } t) type = t;
                if (name == "crs" && element is { } crs) source.CrsText = CrsName(crs);
                if (name == "features") sawFeatures = true;
            }
        }
        catch (JsonException e)
        {
            throw new ImportRejectedException($"The file is not valid JSON: {e.Message}");
        }
        if (type is not "FeatureCollection" || !sawFeatures)
            throw new ImportRejectedException($"The GeoJSON is a {type ?? "document without a type"}, not a FeatureCollection with a features array.");
        return source;
    }

    private static string? CrsName(string crsJson)
    {
        using var doc = JsonDocument.Parse(crsJson);
        return doc.RootElement.TryGetProperty("properties", out var p) && p.TryGetProperty("name", out var n) ? n.GetString() : null;
    }

    // Scans the top level: yields (member name, raw JSON of small members) and skips through the features array
    // without materialising it. Validates the whole document as it goes.
    private static IEnumerable<(string Name, string? Value)> TopLevelMembers(string path, CancellationToken ct)
    {
        using var scan = new Scanner(path);
        foreach (var item in scan.Walk(wantFeatures: false, ct))
            yield return (item.Member!, item.Raw);
    }

    public override IEnumerable<SourceFeature> ReadFeatures(CancellationToken ct)
    {
        using var scan = new Scanner(_path);
        long index = 0;
        foreach (var item in scan.Walk(wantFeatures: true, ct))
        {
            if (item.Member is not null) continue;
            yield return ParseFeature(index++, item.Bytes);
        }
    }

    private static SourceFeature ParseFeature(long index, ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read(); // StartObject
        string properties = "{}";
        NetTopologySuite.Geometries.Geometry? geometry = null;
        string? error = null;
        string? id = null;
        var sawGeometry = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "properties" when reader.TokenType == JsonTokenType.StartObject:
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    properties = Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
                    break;
                case "geometry":
                    sawGeometry = true;
                    if (reader.TokenType == JsonTokenType.Null) { error = "the feature's geometry is null"; break; }
                    var gstart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    try
                    {
                        geometry = JsonSerializer.Deserialize<NetTopologySuite.Geometries.Geometry>(json[gstart..(int)reader.BytesConsumed], Options);
                        if (geometry is null) error = "the feature's geometry is null";
                    }
                    catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException)
                    {
                        error = "the geometry cannot be read: " + e.Message;
                    }
                    break;
                case "id" when reader.TokenType is JsonTokenType.String or JsonTokenType.Number:
                    id = reader.TokenType == JsonTokenType.String ? JsonSerializer.Serialize(reader.GetString()) : Encoding.UTF8.GetString(reader.ValueSpan);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (!sawGeometry) error = "the feature has no geometry member";
        // A feature id that the properties lack is kept as the property "id".
        if (id is not null && !properties.Contains("\"id\"", StringComparison.Ordinal))
            properties = properties.Length <= 2 ? "{\"id\":" + id + "}" : "{\"id\":" + id + "," + properties[1..];
        return new SourceFeature(index, properties, geometry, error);
    }

    /// <summary>A pull scanner over the file with a buffer that grows to hold the largest single feature.</summary>
    private sealed class Scanner(string path) : IDisposable
    {
        private readonly FileStream _stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        private byte[] _buffer = new byte[1 << 20];
        private int _start, _end;
        private bool _eof;

        public sealed record Item(string? Member, string? Raw, byte[] Buffer, int Offset, int Length)
        {
            public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(Offset, Length);
        }

        public IEnumerable<Item> Walk(bool wantFeatures, CancellationToken ct)
        {
            var state = new JsonReaderState();
            var depth = 0;               // depth of the token just read
            string? member = null;       // top-level member awaiting its value
            var inFeatures = false;
            Fill();
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                Item? item = null;
                int consumed;
                var needMore = false;
                {
                    var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _eof, state);
                    while (true)
                    {
                        var before = reader.CurrentState;
                        var beforeConsumed = (int)reader.BytesConsumed;
                        if (!reader.Read()) { needMore = true; break; }
                        var t = reader.TokenType;
                        if (inFeatures && depth == 2 && t == JsonTokenType.StartObject)
                        {
                            var startIndex = (int)reader.TokenStartIndex;
                            if (!reader.TrySkip()) { state = before; consumed = beforeConsumed; goto refill; }
                            if (wantFeatures)
                                item = new Item(null, null, _buffer, _start + startIndex, (int)reader.BytesConsumed - startIndex);
                            // depth stays 2: the object is consumed whole.
                            if (item is not null) { state = reader.CurrentState; _start += (int)reader.BytesConsumed; break; }
                            continue;
                        }
                        if (depth == 1 && t == JsonTokenType.PropertyName) { member = reader.GetString(); continue; }
                        if (depth == 1 && member is not null && t is JsonTokenType.StartObject or JsonTokenType.StartArray)
                        {
                            if (member == "features" && t == JsonTokenType.StartArray)
                            {
                                inFeatures = true;
                                depth = 2;
                                if (!wantFeatures) { item = new Item("features", null, _buffer, 0, 0); member = null; state = reader.CurrentState; _start += (int)reader.BytesConsumed; break; }
                                member = null;
                                continue;
                            }
                            var startIndex = (int)reader.TokenStartIndex;
                            if (!reader.TrySkip()) { state = before; consumed = beforeConsumed; goto refill; }
                            var raw = Encoding.UTF8.GetString(_buffer, _start + startIndex, (int)reader.BytesConsumed - startIndex);
                            item = wantFeatures ? null : new Item(member, raw, _buffer, 0, 0);
                            member = null;
                            if (item is not null) { state = reader.CurrentState; _start += (int)reader.BytesConsumed; break; }
                            continue;
                        }
                        if (depth == 1 && member is not null)
                        {
                            var raw = t == JsonTokenType.String ? reader.GetString() : Encoding.UTF8.GetString(reader.ValueSpan);
                            item = wantFeatures ? null : new Item(member, raw, _buffer, 0, 0);
                            member = null;
                            if (item is not null) { state = reader.CurrentState; _start += (int)reader.BytesConsumed; break; }
                            continue;
                        }
                        if (t is JsonTokenType.StartObject or JsonTokenType.StartArray) depth++;
                        else if (t is JsonTokenType.EndObject or JsonTokenType.EndArray)
                        {
                            depth--;
                            if (inFeatures && depth == 1) inFeatures = false;
                            if (depth == 0) { _start = _end; yield break; }
                        }
                    }
                    if (needMore) { state = reader.CurrentState; consumed = (int)reader.BytesConsumed; goto refill; }
                }
                if (item is not null) { yield return item; continue; }
                continue;
            refill:
                _start += consumed;
                if (_eof) throw new JsonException("The JSON ends before the document is complete (truncated file?).");
                Fill();
            }
        }

        private void Fill()
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            while (_end < _buffer.Length)
            {
                var n = _stream.Read(_buffer, _end, _buffer.Length - _end);
                if (n == 0) { _eof = true; break; }
                _end += n;
            }
        }

        public void Dispose() => _stream.Dispose();
    }
}
