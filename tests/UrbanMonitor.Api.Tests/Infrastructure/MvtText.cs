using System.Globalization;
using System.Text;

namespace UrbanMonitor.Api.Tests.Infrastructure;

/// <summary>A decoded vector tile feature: id, geometry type, properties, and its geometry as rings/lines/points in tile units.</summary>
public sealed record MvtFeature(ulong? Id, string Type, IReadOnlyDictionary<string, string> Properties, string Geometry);

/// <summary>A decoded vector tile layer.</summary>
public sealed record MvtLayer(string Name, uint Extent, IReadOnlyList<MvtFeature> Features);

/// <summary>
/// Decodes Mapbox Vector Tiles (protobuf, spec 2.1) into readable text for golden files, written here so the tests
/// do not trust the encoder they check. Geometry is shown as commands in absolute tile coordinates.
/// </summary>
public static class MvtText
{
    public static IReadOnlyList<MvtLayer> Decode(byte[] tile)
    {
        var layers = new List<MvtLayer>();
        var r = new Reader(tile);
        while (!r.End)
        {
            var (field, wire) = r.Key();
            if (field == 3 && wire == 2) layers.Add(DecodeLayer(r.Bytes()));
            else r.Skip(wire);
        }
        return layers;
    }

    /// <summary>The tile as text: one line per layer header and one per feature, features in id order.</summary>
    public static string Render(byte[] tile)
    {
        var sb = new StringBuilder();
        foreach (var layer in Decode(tile))
        {
            sb.Append(CultureInfo.InvariantCulture, $"layer {layer.Name} extent={layer.Extent} features={layer.Features.Count}\n");
            foreach (var f in layer.Features.OrderBy(f => f.Id))
            {
                var props = string.Join(", ", f.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
                sb.Append(CultureInfo.InvariantCulture, $"  id={f.Id} {f.Type} {{{props}}} {f.Geometry}\n");
            }
        }
        return sb.ToString();
    }

    private static MvtLayer DecodeLayer(byte[] bytes)
    {
        var r = new Reader(bytes);
        string name = "";
        uint extent = 4096;
        var keys = new List<string>();
        var values = new List<string>();
        var raw = new List<(ulong? Id, int Type, List<uint> Tags, List<uint> Geometry)>();
        while (!r.End)
        {
            var (field, wire) = r.Key();
            switch (field)
            {
                case 1: name = Encoding.UTF8.GetString(r.Bytes()); break;
                case 2: raw.Add(DecodeFeature(r.Bytes())); break;
                case 3: keys.Add(Encoding.UTF8.GetString(r.Bytes())); break;
                case 4: values.Add(DecodeValue(r.Bytes())); break;
                case 5: extent = (uint)r.Varint(); break;
                default: r.Skip(wire); break;
            }
        }
        var features = raw.Select(f =>
        {
            var props = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < f.Tags.Count; i += 2) props[keys[(int)f.Tags[i]]] = values[(int)f.Tags[i + 1]];
            var type = f.Type switch { 1 => "Point", 2 => "LineString", 3 => "Polygon", _ => "Unknown" };
            return new MvtFeature(f.Id, type, props, Geometry(f.Geometry));
        }).ToList();
        return new MvtLayer(name, extent, features);
    }

    private static (ulong? Id, int Type, List<uint> Tags, List<uint> Geometry) DecodeFeature(byte[] bytes)
    {
        var r = new Reader(bytes);
        ulong? id = null;
        var type = 0;
        var tags = new List<uint>();
        var geometry = new List<uint>();
        while (!r.End)
        {
            var (field, wire) = r.Key();
            switch (field)
            {
                case 1: id = r.Varint(); break;
                case 2: tags.AddRange(r.Packed()); break;
                case 3: type = (int)r.Varint(); break;
                case 4: geometry.AddRange(r.Packed()); break;
                default: r.Skip(wire); break;
            }
        }
        return (id, type, tags, geometry);
    }

    private static string DecodeValue(byte[] bytes)
    {
        var r = new Reader(bytes);
        var (field, wire) = r.Key();
        return field switch
        {
            1 => "\"" + Encoding.UTF8.GetString(r.Bytes()) + "\"",
            2 => BitConverter.ToSingle(r.Fixed(4)).ToString("R", CultureInfo.InvariantCulture),
            3 => BitConverter.ToDouble(r.Fixed(8)).ToString("R", CultureInfo.InvariantCulture),
            4 => ((long)r.Varint()).ToString(CultureInfo.InvariantCulture),
            5 => r.Varint().ToString(CultureInfo.InvariantCulture),
            6 => ZigZag(r.Varint()).ToString(CultureInfo.InvariantCulture),
            7 => r.Varint() != 0 ? "true" : "false",
            _ => $"?{field}/{wire}",
        };
    }

    // Commands: MoveTo (1), LineTo (2) with zig-zag deltas, ClosePath (7); shown as M x y L x y … Z in absolute units.
    private static string Geometry(List<uint> g)
    {
        var sb = new StringBuilder();
        long x = 0, y = 0;
        var i = 0;
        while (i < g.Count)
        {
            var id = g[i] & 7;
            var count = (int)(g[i] >> 3);
            i++;
            if (id == 7)
            {
                sb.Append(" Z");
                continue;
            }
            for (var k = 0; k < count && i + 1 < g.Count; k++)
            {
                x += ZigZag(g[i++]);
                y += ZigZag(g[i++]);
                sb.Append(sb.Length == 0 ? "" : " ").Append(k == 0 ? (id == 1 ? "M " : "L ") : "").Append(CultureInfo.InvariantCulture, $"{x} {y}");
                if (k < count - 1) sb.Append(',');
            }
        }
        return sb.ToString();
    }

    private static long ZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    private sealed class Reader(byte[] data)
    {
        private int _at;

        public bool End => _at >= data.Length;

        public (int Field, int Wire) Key()
        {
            var k = Varint();
            return ((int)(k >> 3), (int)(k & 7));
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = data[_at++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return result;
            }
        }

        public byte[] Bytes()
        {
            var n = (int)Varint();
            var slice = data.AsSpan(_at, n).ToArray();
            _at += n;
            return slice;
        }

        public byte[] Fixed(int n)
        {
            var slice = data.AsSpan(_at, n).ToArray();
            _at += n;
            return slice;
        }

        public IEnumerable<uint> Packed()
        {
            var inner = new Reader(Bytes());
            var list = new List<uint>();
            while (!inner.End) list.Add((uint)inner.Varint());
            return list;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _at += 8; break;
                case 2: _at += (int)Varint(); break;
                case 5: _at += 4; break;
                default: throw new InvalidDataException($"Unknown protobuf wire type {wire}.");
            }
        }
    }
}
