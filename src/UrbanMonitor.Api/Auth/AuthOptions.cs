namespace UrbanMonitor.Api.Auth;

/// <summary>How bearer tokens are checked (section <c>Auth</c>). Either the service's own HMAC key (what the CLI signs
/// with) or an external identity provider's <c>Authority</c> whose tokens carry the same claims.</summary>
public sealed class AuthOptions
{
    /// <summary>Base64 HMAC-SHA256 key, ≥ 32 bytes (./run.sh keeps one in .urbanmonitor/jwt-key). Empty: a random
    /// key for this process only, so no token from elsewhere is accepted.</summary>
    public string SigningKey { get; set; } = "";

    public string Issuer { get; set; } = Database.Auth.TokenSettings.DefaultIssuer;
    public string Audience { get; set; } = Database.Auth.TokenSettings.DefaultAudience;

    /// <summary>OpenID Connect authority of an external identity provider (optional).</summary>
    public string? Authority { get; set; }
}
