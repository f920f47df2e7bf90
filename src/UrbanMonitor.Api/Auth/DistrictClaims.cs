using System.Security.Claims;

namespace UrbanMonitor.Api.Auth;

/// <summary>The districts a token's user is assigned to: its <c>districts</c> claims, each <c>{slug}:{code}</c> or <c>*</c>
/// (every district of every city).</summary>
public static class DistrictClaims
{
    /// <summary>Whether the user is assigned to every district (<c>*</c>).</summary>
    public static bool All(ClaimsPrincipal user) => user.FindAll("districts").Any(c => c.Value == "*");

    /// <summary>The codes of the districts of city <paramref name="slug"/> the user is assigned to; null for all of them (<c>*</c>).</summary>
    public static string[]? InCity(ClaimsPrincipal user, string slug)
    {
        var claims = user.FindAll("districts").Select(c => c.Value).ToList();
        if (claims.Contains("*")) return null;
        return [.. claims.Where(c => c.StartsWith(slug + ":", StringComparison.Ordinal)).Select(c => c[(slug.Length + 1)..])];
    }
}
