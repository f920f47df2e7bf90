using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace UrbanMonitor.Database.Auth;

/// <summary>How the service signs and checks its own tokens: HMAC-SHA256 with a shared key (base64, ≥ 32 bytes).
/// A real identity provider can issue tokens with the same claims instead (configure Auth:Authority).</summary>
public sealed record TokenSettings(string Issuer, string Audience, byte[] Key)
{
    public const string DefaultIssuer = "urbanmonitor";
    public const string DefaultAudience = "urbanmonitor";

    public SymmetricSecurityKey SecurityKey => new(Key);

    /// <summary>Reads the key from base64; refuses keys shorter than 256 bits.</summary>
    public static TokenSettings FromBase64(string key, string? issuer = null, string? audience = null)
    {
        byte[] bytes;
        try { bytes = Convert.FromBase64String(key.Trim()); }
        catch (FormatException) { throw new ArgumentException("The signing key (Auth:SigningKey) must be base64."); }
        if (bytes.Length < 32) throw new ArgumentException("The signing key (Auth:SigningKey) must hold at least 32 bytes.");
        return new TokenSettings(issuer ?? DefaultIssuer, audience ?? DefaultAudience, bytes);
    }

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}

/// <summary>Issues JWT bearer tokens with the claims of CONTRACTS.md: <c>sub</c>, <c>name</c>, <c>role</c> (one or
/// more), <c>districts</c> (<c>{slug}:{code}</c> or <c>*</c>), and <c>councils</c> (<c>{slug}:{council code}</c>) when the user has any.</summary>
public static class Tokens
{
    public static string Issue(User user, TokenSettings settings, TimeSpan lifetime)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(settings.SecurityKey, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = user.Id.ToString(),
                ["name"] = user.Name,
                ["preferred_username"] = user.Login,
                ["role"] = user.Roles.ToArray(),
                ["districts"] = user.Districts.ToArray(),
            },
        };
        // Community facilitators: the councils whose records they may edit (CONTRACTS.md).
        if (user.Councils.Count > 0) descriptor.Claims["councils"] = user.Councils.ToArray();
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
