using System.Text.Json;
using Npgsql;
using UrbanMonitor.Api.Audit;
using UrbanMonitor.Api.Auth;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Transactions;
using UrbanMonitor.Database.Auth;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;
using DbUsers = UrbanMonitor.Database.Auth.Users;

namespace UrbanMonitor.Api.Accounts;

/// <summary><c>/api/users</c> (admins only): list, create, and update users' name, roles, districts and disabled flag;
/// the same rules as the CLI's <c>urbanmonitor users</c>.</summary>
public static class UsersApi
{
    public const string UserRejected = Problems.Prefix + "user-rejected";
    public const string UserNotFound = Problems.Prefix + "user-not-found";

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization(AuthApi.Policies.Admin);
        api.MapGet("/", async (NpgsqlDataSource db, CancellationToken ct) => Results.Json((await DbUsers.ListAsync(db, null, ct, includeDisabled: true)).Select(Show)))
            .WithName("ListUsers").WithSummary("Every user with roles, districts and whether disabled (admin)");
        api.MapPost("/", Create).WithName("CreateUser")
            .WithSummary("Create a user ({login, name, roles: [..], districts: [\"mazar-e-sharif:1\" | \"*\"], councils: [\"synthetic:CDC-001\"]}; admin)")
            .Produces(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapPatch("/{login}", Update).WithName("UpdateUser")
            .WithSummary("Change a user's name, roles, districts or councils (each replaced as a whole) or disabled flag (admin)")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    private static object Show(User u) => new { id = u.Id, login = u.Login, name = u.Name, roles = u.Roles, districts = u.Districts, councils = u.Councils, disabled = u.Disabled };

    private static string[]? Strings(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? [.. v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new UserRejectedException($"{name} must be a list of strings."))]
            : body.TryGetProperty(name, out _) ? throw new UserRejectedException($"{name} must be a list of strings.") : null;

    private static async Task<IResult> Create(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        try
        {
            var login = body.Text("login") ?? throw new UserRejectedException("login is required.");
            var user = await DbUsers.AddAsync(db, login, body.Text("name") ?? login, Strings(body, "roles") ?? [], Strings(body, "districts") ?? [], ct, AuditActor.Of(http.User),
                Strings(body, "councils"));
            return Results.Created("/api/users/" + Uri.EscapeDataString(user.Login), Show(user));
        }
        catch (UserRejectedException e) { return P.Unprocessable(UserRejected, "User rejected", e.Message); }
    }

    private static async Task<IResult> Update(string login, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        try
        {
            bool? disabled = body.TryGetProperty("disabled", out var d)
                ? d.ValueKind is JsonValueKind.True or JsonValueKind.False ? d.GetBoolean() : throw new UserRejectedException("disabled must be true or false.")
                : null;
            var user = await DbUsers.UpdateAsync(db, login, body.TryGetProperty("name", out _) ? body.Text("name") ?? "" : null,
                Strings(body, "roles"), Strings(body, "districts"), disabled, ct, AuditActor.Of(http.User), Strings(body, "councils"));
            return user is null ? P.Problem(404, UserNotFound, "User not found", $"There is no user '{login}'.") : Results.Json(Show(user));
        }
        catch (UserRejectedException e) { return P.Unprocessable(UserRejected, "User rejected", e.Message); }
    }
}
