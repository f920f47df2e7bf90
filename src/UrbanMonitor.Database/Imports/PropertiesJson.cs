using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace UrbanMonitor.Database.Imports;

/// <summary>Writes a feature's attributes as a JSON object text with <see cref="Utf8JsonWriter"/>, reusing one buffer
/// (serialising a dictionary of boxed values per feature was the import's hot spot).</summary>
internal sealed class PropertiesJson
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;

    public PropertiesJson() => _writer = new Utf8JsonWriter(_buffer);

    public string Write<T>(IEnumerable<KeyValuePair<string, T>> attributes)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        foreach (var (name, value) in attributes)
        {
            _writer.WritePropertyName(name);
            switch (value)
            {
                case null: _writer.WriteNullValue(); break;
                case string s: _writer.WriteStringValue(s); break;
                case bool b: _writer.WriteBooleanValue(b); break;
                case long l: _writer.WriteNumberValue(l); break;
                case int i: _writer.WriteNumberValue(i); break;
                case short sh: _writer.WriteNumberValue(sh); break;
                case decimal m: _writer.WriteNumberValue(m); break;
                case double d when double.IsFinite(d):
                    if (d == Math.Floor(d) && Math.Abs(d) < 1e15) _writer.WriteNumberValue((long)d);
                    else _writer.WriteNumberValue(d);
                    break;
                case float f when float.IsFinite(f): _writer.WriteNumberValue(f); break;
                case DateTime dt: _writer.WriteStringValue(dt.ToString(dt.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "O", CultureInfo.InvariantCulture)); break;
                case DateOnly d: _writer.WriteStringValue(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
                case IFormattable f: _writer.WriteStringValue(f.ToString(null, CultureInfo.InvariantCulture)); break;
                default: _writer.WriteStringValue(value.ToString()); break;
            }
        }
        _writer.WriteEndObject();
        _writer.Flush();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }
}
