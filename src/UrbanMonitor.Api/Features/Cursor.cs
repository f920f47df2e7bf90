using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using UrbanMonitor.Api.Hosting;

namespace UrbanMonitor.Api.Features;

/// <summary>
/// The opaque position of a page in keyset order: the sort values of the last feature sent (as text, null for
/// NULL), then its <c>city_id</c> and <c>id</c>. Encoded as base64url JSON; a client only passes it back.
/// </summary>
public sealed record Cursor(IReadOnlyList<string?> SortValues, int CityId, long Id)
{
    public string Encode()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartArray();
            foreach (var v in SortValues)
            {
                if (v is null) w.WriteNullValue();
                else w.WriteStringValue(v);
            }
            w.WriteNumberValue(CityId);
            w.WriteNumberValue(Id);
            w.WriteEndArray();
        }
        return Base64Url.EncodeToString(ms.ToArray());
    }

    /// <summary>Decodes a cursor for a query sorted by <paramref name="sortKeys"/>; a tampered or mismatched cursor is a 400.</summary>
    public static Cursor Decode(string text, IReadOnlyList<SortKey> sortKeys)
    {
        static FeedException Bad(string why) => new(StatusCodes.Status400BadRequest, Problems.InvalidParameter, "Invalid cursor",
            $"The cursor is not valid for this request ({why}). Follow the 'next' link as given, with the same sortby.");
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            throw Bad("not base64url");
        }
        JsonElement[] items;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw Bad("not a list");
            items = doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
        }
        catch (JsonException)
        {
            throw Bad("not JSON");
        }
        if (items.Length != sortKeys.Count + 2) throw Bad("it was made for another sortby");
        var values = new List<string?>();
        for (var k = 0; k < sortKeys.Count; k++)
        {
            var e = items[k];
            if (e.ValueKind == JsonValueKind.Null)
            {
                values.Add(null);
                continue;
            }
            if (e.ValueKind != JsonValueKind.String) throw Bad("a sort value is not text");
            var s = e.GetString()!;
            var ok = sortKeys[k].Property.Type switch
            {
                "integer" => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
                "number" => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
                "date" => DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                _ => true,
            };
            if (!ok) throw Bad($"a {sortKeys[k].Property.Type} sort value is malformed");
            values.Add(s);
        }
        if (!items[^2].TryGetInt32(out var city) || !items[^1].TryGetInt64(out var id)) throw Bad("the position is malformed");
        return new Cursor(values, city, id);
    }
}

/// <summary>One key of <c>sortby</c>.</summary>
public sealed record SortKey(FeatureProperty Property, bool Descending);
