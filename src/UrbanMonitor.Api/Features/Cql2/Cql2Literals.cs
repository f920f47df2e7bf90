using System.Globalization;

namespace UrbanMonitor.Api.Features.Cql2;

/// <summary>Date and timestamp literals shared by CQL2 text, CQL2 JSON and the <c>datetime</c> parameter.</summary>
public static class Cql2Literals
{
    public static bool TryDate(string s, out DateOnly date) =>
        DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>An RFC 3339 timestamp; without an offset it is taken as UTC.</summary>
    public static bool TryTimestamp(string s, out DateTime utc)
    {
        utc = default;
        if (s.Length < 11 || (s[10] != 'T' && s[10] != 't')) return false;
        if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dto))
            return false;
        utc = DateTime.SpecifyKind(dto.UtcDateTime, DateTimeKind.Utc);
        return true;
    }

    /// <summary>A date or a timestamp node, or null when the text is neither.</summary>
    public static Cql2Node? Instant(string at, string s) =>
        TryDate(s, out var d) ? new Cql2Date(at, d)
        : TryTimestamp(s, out var t) ? new Cql2Timestamp(at, t)
        : null;
}
