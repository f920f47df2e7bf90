using System.Text.Json;

namespace UrbanMonitor.Domain.Geometry;

/// <summary>
/// Checks the <c>coordinates</c> of a GeoJSON geometry object before PostGIS reads it, because <c>ST_GeomFromGeoJSON</c>
/// is lenient where a client's mistake should be refused: it reads <c>null</c> or <c>"NaN"</c> as 0 or NaN and then
/// reports a misleading reason (an unclosed ring), or builds a geometry from a position of one number.
/// </summary>
public static class GeoJsonPositions
{
    /// <summary>Why the positions of <paramref name="geometry"/> are malformed, naming the first bad one by its JSON path
    /// (<c>geometry.coordinates[0][3]</c>), or null. A position is 2 to 4 finite numbers (x, y, then altitude and measure,
    /// which the callers drop); at most <paramref name="maxPositions"/> positions. A geometry without
    /// <c>coordinates</c> (a GeometryCollection) is left to the caller.</summary>
    public static string? Problem(JsonElement geometry, string path = "geometry", int maxPositions = 100_000)
    {
        if (geometry.ValueKind != JsonValueKind.Object || !geometry.TryGetProperty("coordinates", out var coordinates)) return null;
        var count = 0;
        string? Walk(JsonElement e, string at)
        {
            if (e.ValueKind != JsonValueKind.Array)
                return $"{at} must be an array.";
            if (e.GetArrayLength() > 0 && e[0].ValueKind != JsonValueKind.Array)
            {
                var n = e.GetArrayLength();
                if (n is < 2 or > 4) return $"{at} has {n} values; a position is [x, y] (with at most an altitude and a measure after them).";
                var i = 0;
                foreach (var v in e.EnumerateArray())
                {
                    if (v.ValueKind != JsonValueKind.Number)
                        return $"{at}[{i}] must be a number, not {(v.ValueKind == JsonValueKind.String ? "a string" : v.ValueKind == JsonValueKind.Null ? "null" : "an array or object")}.";
                    if (!v.TryGetDouble(out var d) || !double.IsFinite(d)) return $"{at}[{i}] is a number too large to be a coordinate.";
                    i++;
                }
                return ++count > maxPositions ? $"The geometry has more than {maxPositions:N0} positions; simplify it." : null;
            }
            var k = 0;
            foreach (var child in e.EnumerateArray())
                if (Walk(child, $"{at}[{k++}]") is { } why) return why;
            return null;
        }
        return Walk(coordinates, path + ".coordinates");
    }
}
