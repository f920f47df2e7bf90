using System.Globalization;

namespace UrbanMonitor.Api.Features;

/// <summary>
/// A coordinate reference system the feeds accept (OGC API - Features Part 2). <c>Srid</c> is the PostGIS SRID;
/// <c>LatLon</c> is true when the CRS's axis order is latitude first (EPSG:4326 as a URI), so coordinates are swapped
/// between it and PostGIS's x = longitude.
/// </summary>
public sealed record Crs(string Uri, int Srid, bool LatLon)
{
    public const string Crs84Uri = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
    private const string EpsgPrefix = "http://www.opengis.net/def/crs/EPSG/0/";

    /// <summary>CRS84: WGS 84 longitude/latitude, the default of every OGC API - Features request.</summary>
    public static Crs Crs84 { get; } = new(Crs84Uri, 4326, false);

    /// <summary>Digits after the decimal point in output coordinates: ~0.1 mm in degrees, 1 mm in metres.</summary>
    public int Digits => Srid == 4326 ? 9 : 3;

    public bool IsGeographic => Srid == 4326;

    /// <summary>Every CRS served: CRS84, EPSG:4326, EPSG:3857 and the 120 WGS 84 UTM zones (EPSG:32601-32660, 32701-32760).</summary>
    public static IReadOnlyList<string> SupportedUris { get; } =
        new[] { Crs84Uri, EpsgPrefix + "4326", EpsgPrefix + "3857" }
            .Concat(Enumerable.Range(1, 60).Select(z => EpsgPrefix + (32600 + z).ToString(CultureInfo.InvariantCulture)))
            .Concat(Enumerable.Range(1, 60).Select(z => EpsgPrefix + (32700 + z).ToString(CultureInfo.InvariantCulture)))
            .ToList();

    /// <summary>Parses a CRS URI (also <c>EPSG:n</c>, <c>[EPSG:n]</c>, <c>OGC:CRS84</c>); null when not supported.</summary>
    public static Crs? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var s = text.Trim();
        if (s.StartsWith('[') && s.EndsWith(']')) s = s[1..^1];
        if (s is Crs84Uri or "http://www.opengis.net/def/crs/OGC/0/CRS84" or "OGC:CRS84" or "CRS84") return Crs84;
        string? code = null;
        if (s.StartsWith(EpsgPrefix, StringComparison.Ordinal)) code = s[EpsgPrefix.Length..];
        else if (s.StartsWith("EPSG:", StringComparison.OrdinalIgnoreCase)) code = s[5..];
        else if (s.StartsWith("urn:ogc:def:crs:EPSG::", StringComparison.OrdinalIgnoreCase)) code = s[22..];
        if (code is null || !int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var srid)) return null;
        var uri = EpsgPrefix + srid.ToString(CultureInfo.InvariantCulture);
        return srid switch
        {
            4326 => new Crs(uri, 4326, true),
            3857 => new Crs(uri, 3857, false),
            _ when UrbanMonitor.Domain.Geometry.Utm.IsUtmEpsg(srid) => new Crs(uri, srid, false),
            _ => null,
        };
    }
}
