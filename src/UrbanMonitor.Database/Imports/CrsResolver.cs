using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace UrbanMonitor.Database.Imports;

/// <summary>
/// Finds the EPSG code of an upload: the job's <c>crs</c> parameter, else what the file declares (GeoPackage srs,
/// GeoJSON <c>crs</c> member, AUTHORITY/ID in a .prj), else the .prj's CRS name matched against PostGIS's
/// spatial_ref_sys (ESRI names such as <c>SIRGAS_2000_UTM_Zone_23S</c> match <c>SIRGAS 2000 / UTM zone 23S</c>),
/// else the format's default (EPSG:4326 for GeoJSON, CSV and GTFS). A CRS PostGIS does not know is refused.
/// </summary>
public static partial class CrsResolver
{
    [GeneratedRegex(@"(?:EPSG(?:/0/|::?|:\d*:))(\d{4,6})$|^(?:EPSG:)?(\d{4,6})$", RegexOptions.IgnoreCase)]
    private static partial Regex EpsgPattern();

    [GeneratedRegex(@"(?:AUTHORITY\[""EPSG"",""?(\d+)""?\]|ID\[""EPSG"",(\d+)\])\s*\]\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex TopAuthority();

    [GeneratedRegex(@"^\s*(?:PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS)\[""([^""]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex WktName();

    /// <summary>Parses <c>EPSG:31983</c>, <c>31983</c>, an OGC URN or URI, or CRS84; null when it is none of them.</summary>
    public static int? ParseCode(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim();
        if (t.EndsWith("CRS84", StringComparison.OrdinalIgnoreCase)) return 4326;
        var m = EpsgPattern().Match(t);
        if (!m.Success) return null;
        var digits = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
        return int.Parse(digits, CultureInfo.InvariantCulture);
    }

    /// <summary>Lower-case letters and digits only, ESRI spellings folded (<c>WGS_1984</c> → <c>wgs84</c>).</summary>
    public static string NormaliseName(string name)
    {
        var s = new string(name.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).ToArray());
        s = s.Replace("wgs1984", "wgs84", StringComparison.Ordinal).Replace("nad1983", "nad83", StringComparison.Ordinal);
        if (s.StartsWith("gcs", StringComparison.Ordinal)) s = s[3..];
        return s;
    }

    public static async Task<int> ResolveAsync(NpgsqlDataSource db, FeatureSource source, string? requested, CancellationToken ct = default)
    {
        int? srid;
        string described;
        if (!string.IsNullOrWhiteSpace(requested))
        {
            srid = ParseCode(requested) ?? throw new ImportRejectedException(
                $"The crs parameter '{requested}' is not a CRS this service understands: give EPSG:<code>, an OGC URI or CRS84.", 400, "unknown-crs");
            described = requested;
        }
        else if (source.DeclaredSrid is { } declared) { srid = declared; described = $"EPSG:{declared} (declared in the file)"; }
        else if (source.CrsText is { Length: > 0 } text)
        {
            srid = ParseCode(text) ?? FromWktAuthority(text) ?? await FromWktNameAsync(db, text, ct);
            described = text.Length > 120 ? text[..120] + "…" : text;
            if (srid is null)
                throw new ImportRejectedException(
                    $"The file's CRS could not be identified ({described}). Pass it as ?crs=EPSG:<code>.", 422, "unknown-crs");
        }
        else if (source.DefaultSrid is { } d) { srid = d; described = $"EPSG:{d}"; }
        else throw new ImportRejectedException("The file declares no CRS (a shapefile without .prj?). Pass it as ?crs=EPSG:<code>.", 422, "unknown-crs");

        await using var cmd = db.CreateCommand("SELECT 1 FROM spatial_ref_sys WHERE srid = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = srid.Value });
        if (await cmd.ExecuteScalarAsync(ct) is null)
            throw new ImportRejectedException($"EPSG:{srid} ({described}) is not a CRS PostGIS knows.", 422, "unknown-crs");
        return srid.Value;
    }

    private static int? FromWktAuthority(string wkt)
    {
        var m = TopAuthority().Match(wkt);
        if (!m.Success) return null;
        return int.Parse(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    private static async Task<int?> FromWktNameAsync(NpgsqlDataSource db, string wkt, CancellationToken ct)
    {
        var m = WktName().Match(wkt);
        if (!m.Success) return null;
        var name = NormaliseName(m.Groups[1].Value);
        if (name is "wgs84" or "wgs84d") return 4326;
        if (name is "wgs84webmercatorauxiliarysphere" or "wgs84pseudomercator") return 3857;
        await using var cmd = db.CreateCommand("""
            SELECT srid FROM (
                SELECT srid, lower(regexp_replace(substring(srtext from '^[A-Z]+\["([^"]+)"'), '[^A-Za-z0-9]', '', 'g')) AS n
                FROM spatial_ref_sys WHERE auth_name = 'EPSG') s
            WHERE replace(replace(n, 'wgs1984', 'wgs84'), 'nad1983', 'nad83') = $1
            ORDER BY srid LIMIT 1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        return await cmd.ExecuteScalarAsync(ct) is int srid ? srid : null;
    }
}
