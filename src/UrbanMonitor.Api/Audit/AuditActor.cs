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

    /// <summary>Names the request's user as the actor of the writes in <paramref name="tx"/>.</summary>
    public static Task SetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ClaimsPrincipal user, CancellationToken ct) =>
        AuditLog.SetActorAsync(conn, tx, Of(user), ct);
}
