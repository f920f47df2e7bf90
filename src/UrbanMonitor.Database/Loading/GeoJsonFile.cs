using System.Globalization;
using System.Text.Json;
using NetTopologySuite.Features;
using NetTopologySuite.IO.Converters;

namespace UrbanMonitor.Database.Loading;

/// <summary>Reads a GeoJSON FeatureCollection (RFC 7946, EPSG:4326) with GeoJSON4STJ; geometries get SRID 4326.</summary>
public static class GeoJsonFile
{
    private static readonly JsonSerializerOptions Options = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions();
        options.Converters.Add(new GeoJsonConverterFactory(Wgs84.Factory));
        return options;
    }

    public static async Task<IReadOnlyList<IFeature>> ReadAsync(string path, CancellationToken ct = default)
    {
        await using var stream = File.OpenRead(path);
        var collection = await JsonSerializer.DeserializeAsync<FeatureCollection>(stream, Options, ct)
            ?? throw new InvalidDataException($"{path} is not a GeoJSON FeatureCollection.");
        return collection;
    }

    /// <summary>An attribute as text (numbers in invariant culture), or null when absent or null.</summary>
    public static string? Text(this IFeature feature, string name)
    {
        if (feature.Attributes is null || !feature.Attributes.Exists(name)) return null;
        return feature.Attributes[name] switch
        {
            null => null,
            string s => s,
            JsonElement { ValueKind: JsonValueKind.Null } => null,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            JsonElement e => e.GetRawText(),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var other => other.ToString(),
        };
    }

    /// <summary>An attribute as a whole number, or null when absent, null or not a number.</summary>
    public static long? Long(this IFeature feature, string name) =>
        decimal.TryParse(feature.Text(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (long)Math.Round(d) : null;

    /// <summary>All attributes as a JSON object text.</summary>
    public static string AttributesJson(this IFeature feature)
    {
        var dict = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        if (feature.Attributes is not null)
            foreach (var name in feature.Attributes.GetNames()) dict[name] = feature.Attributes[name];
        return JsonSerializer.Serialize(dict, Options);
    }
}
