using System.Text.RegularExpressions;

namespace UrbanMonitor.Domain.Codes;

/// <summary>Rules for the identifiers of a city: a URL slug (<c>mazar-e-sharif</c>) and a short code (<c>MZR</c>).</summary>
public static partial class CityIdentity
{
    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[A-Z0-9]{2,8}$")]
    private static partial Regex CodePattern();

    /// <summary>Lower-case ASCII words joined by single hyphens.</summary>
    public static bool IsValidSlug(string slug) => slug.Length <= 64 && SlugPattern().IsMatch(slug);

    /// <summary>2 to 8 upper-case letters or digits, no hyphen (it separates the parts of a property code).</summary>
    public static bool IsValidCode(string code) => CodePattern().IsMatch(code);
}
