using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using UrbanMonitor.Database.Auth;

namespace UrbanMonitor.Api.Auth;

/// <summary>Bearer-token authentication, the role policies, and <c>GET /api/me</c>.</summary>
public static class AuthApi
{
    /// <summary>Policy names; each requires one of the contract's roles.</summary>
    public static class Policies
    {
        public const string Admin = "admin";
    }

    public static WebApplicationBuilder AddUrbanMonitorAuth(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddOptions<AuthOptions>().BindConfiguration("Auth");
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            // Read when first used, so configuration added later (tests, environment) is seen.
            var auth = configuration.GetSection("Auth").Get<AuthOptions>() ?? new AuthOptions();
            o.MapInboundClaims = false;
            // A disabled user's tokens stop working at once, not when they expire; so do the tokens of a user whose roles,
            // districts or councils have changed since (a demoted officer's old token would otherwise keep its rights).
            o.Events = new JwtBearerEvents
            {
                OnTokenValidated = async ctx =>
                {
                    if (ctx.Principal is { } principal && Guid.TryParse(principal.FindFirstValue("sub"), out var id)
                        && await Users.FindAsync(ctx.HttpContext.RequestServices.GetRequiredService<Npgsql.NpgsqlDataSource>(), id, ctx.HttpContext.RequestAborted) is { } user)
                    {
                        if (user.Disabled) ctx.Fail("This user is disabled.");
                        else if (!Same(principal, "role", user.Roles) || !Same(principal, "districts", user.Districts) || !Same(principal, "councils", user.Councils))
                            ctx.Fail("This user's roles, districts or councils have changed since the token was issued; ask for a new token.");
                    }
                },
                // A token that was sent but refused: the 401 says why (RFC 6750 invalid_token), not "send a token".
                OnChallenge = async ctx =>
                {
                    if (ctx.AuthenticateFailure is not { } failure) return;
                    ctx.HandleResponse();
                    var reason = failure switch
                    {
                        SecurityTokenExpiredException => "The token has expired; ask for a new one.",
                        Microsoft.AspNetCore.Authentication.AuthenticationFailureException => failure.Message,
                        _ => "The bearer token is not valid here (malformed, signed with another key, or issued for another service).",
                    };
                    ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    ctx.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                    await TypedResults.Problem(type: Hosting.Problems.TypeFor(StatusCodes.Status401Unauthorized), title: "Unauthorized",
                        statusCode: StatusCodes.Status401Unauthorized, detail: reason).ExecuteAsync(ctx.HttpContext);
                },
            };
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = auth.Issuer,
                ValidAudience = auth.Audience,
                NameClaimType = "name",
                RoleClaimType = "role",
                ClockSkew = TimeSpan.FromMinutes(1),
            };
            if (!string.IsNullOrWhiteSpace(auth.Authority))
            {
                o.Authority = auth.Authority;
                o.Audience = auth.Audience;
            }
            else
            {
                o.TokenValidationParameters.IssuerSigningKey = string.IsNullOrWhiteSpace(auth.SigningKey)
                    ? new SymmetricSecurityKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
                    : TokenSettings.FromBase64(auth.SigningKey).SecurityKey;
            }
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin));
        return builder;
    }

    /// <summary>Whether the token's <paramref name="claim"/> values are the user's current ones (as sets).</summary>
    private static bool Same(ClaimsPrincipal principal, string claim, IReadOnlyList<string> current) =>
        principal.FindAll(claim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal).SetEquals(current);

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me", (ClaimsPrincipal user) => Results.Json(new
        {
            sub = user.FindFirstValue("sub"),
            name = user.FindFirstValue("name"),
            login = user.FindFirstValue("preferred_username"),
            roles = user.FindAll("role").Select(c => c.Value),
            districts = user.FindAll("districts").Select(c => c.Value),
        })).RequireAuthorization().WithTags("Auth").WithName("Me").WithSummary("Who the bearer token says you are: name, roles and districts")
          .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }
}
