using System.Globalization;
using System.Text.Json;
using UrbanMonitor.Domain.Geometry;

namespace UrbanMonitor.Api.Revenue;

/// <summary>A rate per square metre (AFN/m²) for a land use, in one zone (a district code or a zone polygon's code) or,
/// with an empty zone, in every zone.</summary>
public sealed record ChargeRate(string LandUse, string Zone, decimal RatePerM2);

/// <summary>A named zone polygon of a rule (GeoJSON geometry in EPSG:4326).</summary>
public sealed record ChargeZone(string Code, string GeoJson);

/// <summary>
/// The service-charge rule of one city and fiscal year: rates per m² by land use and zone, a minimum and an optional
/// maximum per property (AFN), exempt land uses, and the land use assumed for a property whose own is missing or not
/// rated. <see cref="Starts"/>/<see cref="Ends"/> (end exclusive) default to the city's fiscal calendar.
/// </summary>
public sealed record ServiceChargeRule(DateOnly? Starts, DateOnly? Ends, string DefaultLandUse, decimal Minimum, decimal? Maximum,
    IReadOnlyList<string> ExemptLandUses, IReadOnlyList<ChargeRate> Rates, IReadOnlyList<ChargeZone> Zones)
{
    /// <summary>The land-use keys a rule and a property's <c>attributes.land_use</c> may name.</summary>
    public static readonly string[] LandUses = ["residential", "commercial", "industrial", "mixed", "agricultural", "public", "religious", "vacant"];

    /// <summary>Parses and checks a rule body; throws <see cref="FormatException"/> with the reason. Zone codes of rates
    /// are checked against <paramref name="districts"/> and the rule's own zones.</summary>
    public static ServiceChargeRule Parse(JsonElement body, IReadOnlyCollection<string> districts)
    {
        static string? Text(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { } s && s.Trim().Length > 0 ? s.Trim() : null;
        static decimal? Money(JsonElement e, string name, string at)
        {
            if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDecimal(out var d)) throw new FormatException($"{at}{name} must be a number.");
            if (d < 0) throw new FormatException($"{at}{name} must not be negative (got {d.ToString(CultureInfo.InvariantCulture)}).");
            if (d > 1_000_000_000m) throw new FormatException($"{at}{name} is implausibly large.");
            return d;
        }
        static DateOnly? Date(JsonElement e, string name)
        {
            var t = Text(e, name);
            if (t is null) return null;
            return DateOnly.TryParseExact(t, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? d : throw new FormatException($"{name} must be a date (yyyy-MM-dd).");
        }
        string LandUse(string? key, string at) =>
            key is null ? throw new FormatException($"{at} is required.")
            : LandUses.Contains(key) ? key
            : throw new FormatException($"{at} '{key}' is not a known land use; use one of {string.Join(", ", LandUses)}.");

        var zones = new List<ChargeZone>();
        if (body.TryGetProperty("zones", out var zs) && zs.ValueKind != JsonValueKind.Null)
        {
            if (zs.ValueKind != JsonValueKind.Array) throw new FormatException("zones must be an array of {code, geometry}.");
            var i = 0;
            foreach (var z in zs.EnumerateArray())
            {
                var at = $"zones[{i++}]";
                if (z.ValueKind != JsonValueKind.Object) throw new FormatException($"{at} must be an object {{code, geometry}}.");
                var code = Text(z, "code") ?? throw new FormatException($"{at}.code is required.");
                if (!z.TryGetProperty("geometry", out var g) || g.ValueKind != JsonValueKind.Object || Text(g, "type") is not ("Polygon" or "MultiPolygon"))
                    throw new FormatException($"{at}.geometry must be a GeoJSON Polygon or MultiPolygon.");
                if (GeoJsonPositions.Problem(g, at + ".geometry") is { } malformed) throw new FormatException(malformed);
                if (zones.Any(x => x.Code == code)) throw new FormatException($"{at}.code '{code}' is given twice.");
                if (districts.Contains(code)) throw new FormatException($"{at}.code '{code}' is a district code; give zones their own codes.");
                zones.Add(new ChargeZone(code, g.GetRawText()));
            }
        }

        var rates = new List<ChargeRate>();
        if (!body.TryGetProperty("rates", out var rs) || rs.ValueKind != JsonValueKind.Array || rs.GetArrayLength() == 0)
            throw new FormatException("rates must be a non-empty array of {landUse, zone?, ratePerM2}.");
        var n = 0;
        foreach (var r in rs.EnumerateArray())
        {
            var at = $"rates[{n++}]";
            if (r.ValueKind != JsonValueKind.Object) throw new FormatException($"{at} must be an object.");
            var use = LandUse(Text(r, "landUse"), at + ".landUse");
            var zone = Text(r, "zone") ?? "";
            if (zone != "" && !districts.Contains(zone) && zones.All(z => z.Code != zone))
                throw new FormatException($"{at}.zone '{zone}' is neither a district code of the city nor one of the rule's zones.");
            var rate = Money(r, "ratePerM2", at + ".") ?? throw new FormatException($"{at}.ratePerM2 is required.");
            if (rates.Any(x => x.LandUse == use && x.Zone == zone)) throw new FormatException($"{at}: {use} in zone '{zone}' is rated twice.");
            rates.Add(new ChargeRate(use, zone, rate));
        }

        var exempt = new List<string>();
        if (body.TryGetProperty("exemptLandUses", out var ex) && ex.ValueKind != JsonValueKind.Null)
        {
            if (ex.ValueKind != JsonValueKind.Array || ex.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                throw new FormatException("exemptLandUses must be an array of land-use keys.");
            exempt.AddRange(ex.EnumerateArray().Select(e => LandUse(e.GetString(), "exemptLandUses")).Distinct());
        }
        var defaultUse = LandUse(Text(body, "defaultLandUse") ?? "residential", "defaultLandUse");
        if (!exempt.Contains(defaultUse) && !rates.Any(r => r.LandUse == defaultUse && r.Zone == ""))
            throw new FormatException($"The default land use '{defaultUse}' needs a rate for every zone (a rate without zone).");
        var min = Money(body, "minimum", "") ?? 0;
        var max = Money(body, "maximum", "");
        if (max < min) throw new FormatException("maximum must not be below minimum.");
        var starts = Date(body, "starts");
        var ends = Date(body, "ends");
        if ((starts is null) != (ends is null)) throw new FormatException("Give both starts and ends, or neither (then the city's fiscal calendar decides).");
        if (ends <= starts) throw new FormatException("ends must be after starts.");
        return new ServiceChargeRule(starts, ends, defaultUse, min, max, exempt, rates, zones);
    }
}
