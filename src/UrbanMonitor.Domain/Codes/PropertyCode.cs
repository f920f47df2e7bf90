using System.Globalization;
using System.Text.RegularExpressions;

namespace UrbanMonitor.Domain.Codes;

/// <summary>
/// The human code of a property, <c>{CITYCODE}-{district}-{block}-{parcel}</c> (e.g. <c>MZR-1-15-22</c>),
/// with an optional split suffix per generation (<c>MZR-1-15-22/1</c>). Parts never contain a hyphen or a slash.
/// </summary>
public sealed partial record PropertyCode(string CityCode, string District, string Block, string Parcel, IReadOnlyList<int> SplitPath)
{
    public PropertyCode(string cityCode, string district, string block, string parcel)
        : this(cityCode, district, block, parcel, []) { }

    [GeneratedRegex(@"^(?<city>[A-Z0-9]{2,8})-(?<district>[^-/\s]+)-(?<block>[^-/\s]+)-(?<parcel>[^-/\s]+)(?<splits>(/[0-9]+)*)$")]
    private static partial Regex Pattern();

    /// <summary>Parses a code; returns null when it does not follow the pattern.</summary>
    public static PropertyCode? TryParse(string? text)
    {
        if (text is null) return null;
        var m = Pattern().Match(text);
        if (!m.Success) return null;
        var splits = m.Groups["splits"].Value
            .Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
            .ToArray();
        return new PropertyCode(m.Groups["city"].Value, m.Groups["district"].Value, m.Groups["block"].Value, m.Groups["parcel"].Value, splits);
    }

    /// <summary>Checks one part (district, block or parcel) can stand in a code: 1–32 letters or digits (any script),
    /// dots and underscores; never a hyphen, slash, space, or an invisible or control character.</summary>
    public static bool IsValidPart(string part) =>
        part.Length is > 0 and <= 32 && part.All(c => char.IsLetterOrDigit(c) || c == '.' || c == '_');

    public override string ToString()
    {
        var head = $"{CityCode}-{District}-{Block}-{Parcel}";
        return SplitPath.Count == 0 ? head : head + string.Concat(SplitPath.Select(s => "/" + s.ToString(CultureInfo.InvariantCulture)));
    }
}
