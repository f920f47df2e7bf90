using System.Security.Claims;
using Npgsql;
using UrbanMonitor.Database.Audit;

namespace UrbanMonitor.Api.Audit;

/// <summary>Who the audit log names for a request's writes: the token's login, else its subject.</summary>
public static class AuditActor
{
    public static string Of(ClaimsPrincipal user) =>
        user.FindFirstValue("preferred_username") is { Length: > 0 } login ? login
        : user.FindFirstValue("sub") is { Length: > 0 } sub ? sub
        : "anonymous";

    /// <summary>Begins a write transaction whose changes the audit log records under the request's user.</summary>
    public static Task<NpgsqlTransaction> BeginAsync(NpgsqlConnection conn, ClaimsPrincipal user, CancellationToken ct) =>
        AuditLog.BeginAsync(conn, Of(user), ct);
}
