using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Auth;
using UrbanMonitor.Database.Demo;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary><c>/api/users</c> and <c>urbanmonitor users update|disable|enable</c>: admins manage users and districts.</summary>
public class UsersApiTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> PatchAsync(HttpClient client, string url, object body) =>
        await client.PatchAsync(url, Json(body), Ct);

    [Fact]
    public async Task AdminsCreateListUpdateAndDisableUsersThroughTheApiAndTheCliAndADisabledUsersTokenStopsWorking()
    {
        await new DemoLoader(db.DataSource).LoadSyntheticAsync(2_000, 42, Ct);
        await using var api = new ApiFactory(db.ConnectionString);
        using var admin = api.CreateClient().WithToken(TestTokens.For("admin"));
        AssertUnauthorized(await api.CreateClient().GetAsync("/api/users", Ct));
        using var officer = api.CreateClient().WithToken(TestTokens.For("land-officer", "synthetic:1"));
        Assert.Equal(HttpStatusCode.Forbidden, (await officer.GetAsync("/api/users", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await officer.PostAsync("/api/users", Json(new { login = "x.y", roles = new[] { "admin" } }), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PatchAsync(officer, "/api/users/x.y", new { disabled = true })).StatusCode);

        var created = await OkAsync(await admin.PostAsync("/api/users", Json(new
        {
            login = "amina", name = "Amina Rahimi", roles = new[] { "land-officer" }, districts = new[] { "synthetic:1" },
        }), Ct), HttpStatusCode.Created);
        Assert.Equal(["synthetic:1"], created.GetProperty("districts").EnumerateArray().Select(d => d.GetString()!));
        await AssertProblemAsync(await admin.PostAsync("/api/users", Json(new { login = "amina", roles = new[] { "planner" } }), Ct), 422, "user-rejected");
        await AssertProblemAsync(await admin.PostAsync("/api/users", Json(new { login = "bob", roles = new[] { "king" } }), Ct), 422, "user-rejected");
        await AssertProblemAsync(await admin.PostAsync("/api/users", Json(new { login = "bob", roles = new[] { "planner" }, districts = new[] { "synthetic:99" } }), Ct), 422, "user-rejected");
        Assert.Empty(await Users.ListAsync(db.DataSource, "bob", Ct, includeDisabled: true));

        var updated = await OkAsync(await PatchAsync(admin, "/api/users/amina", new { roles = new[] { "supervisor", "land-officer" }, districts = new[] { "synthetic:2", "synthetic:3" } }));
        Assert.Equal(["supervisor", "land-officer"], updated.GetProperty("roles").EnumerateArray().Select(d => d.GetString()!));
        Assert.Equal(["synthetic:2", "synthetic:3"], updated.GetProperty("districts").EnumerateArray().Select(d => d.GetString()!));
        await AssertProblemAsync(await PatchAsync(admin, "/api/users/nobody", new { disabled = true }), 404, "user-not-found");

        var amina = (await Users.ListAsync(db.DataSource, "amina", Ct)).Single();
        using var asAmina = api.CreateClient().WithToken(Tokens.Issue(amina, TokenSettings.FromBase64(TestTokens.Key), TimeSpan.FromHours(1)));
        Assert.Equal(HttpStatusCode.OK, (await asAmina.GetAsync("/api/me", Ct)).StatusCode);
        var disabled = await OkAsync(await PatchAsync(admin, "/api/users/amina", new { disabled = true }));
        Assert.True(disabled.GetProperty("disabled").GetBoolean());
        AssertUnauthorized(await asAmina.GetAsync("/api/me", Ct));
        var list = await OkAsync(await admin.GetAsync("/api/users", Ct));
        Assert.Contains(list.EnumerateArray(), u => u.GetProperty("login").GetString() == "amina" && u.GetProperty("disabled").GetBoolean());

        // The CLI does the same.
        var env = new Dictionary<string, string?> { ["URBANMONITOR_DB"] = db.ConnectionString };
        var enable = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "enable", "amina"], env);
        Assert.True(enable.ExitCode == 0, enable.Output);
        Assert.Equal(HttpStatusCode.OK, (await asAmina.GetAsync("/api/me", Ct)).StatusCode);
        var update = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "update", "amina", "--role", "planner", "--district", "*"], env);
        Assert.True(update.ExitCode == 0, update.Output);
        var after = (await Users.ListAsync(db.DataSource, "amina", Ct)).Single();
        Assert.Equal(["planner"], after.Roles);
        Assert.Equal(["*"], after.Districts);
        var unknown = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "disable", "nobody"], env);
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("no user 'nobody'", unknown.Stderr);
    }

    [Fact]
    public async Task ATokenStopsWorkingOnceTheUsersRolesOrDistrictsChangeAndANewOneCarriesTheNewRights()
    {
        await new DemoLoader(db.DataSource).LoadSyntheticAsync(2_000, 42, Ct);
        await using var api = new ApiFactory(db.ConnectionString);
        using var admin = api.CreateClient().WithToken(TestTokens.For("admin"));
        await OkAsync(await admin.PostAsync("/api/users", Json(new
        {
            login = "farah.officer", name = "Farah", roles = new[] { "land-officer" }, districts = new[] { "synthetic:1" },
        }), Ct), HttpStatusCode.Created);
        async Task<HttpClient> FreshTokenAsync() =>
            api.CreateClient().WithToken(Tokens.Issue((await Users.ListAsync(db.DataSource, "farah.officer", Ct)).Single(),
                TokenSettings.FromBase64(TestTokens.Key), TimeSpan.FromHours(1)));

        using var first = await FreshTokenAsync();
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/api/me", Ct)).StatusCode);
        // Moved to another district: the old token's synthetic:1 is no longer hers.
        await OkAsync(await PatchAsync(admin, "/api/users/farah.officer", new { districts = new[] { "synthetic:2" } }));
        using (var refused = await first.GetAsync("/api/me", Ct))
        {
            AssertUnauthorized(refused);
            Assert.Contains("changed since the token was issued", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            Assert.Contains("invalid_token", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        using var second = await FreshTokenAsync();
        var me = await OkAsync(await second.GetAsync("/api/me", Ct));
        Assert.Equal(["synthetic:2"], me.GetProperty("districts").EnumerateArray().Select(d => d.GetString()!));
        // Demoted to a reader: the officer's token no longer registers or reads parties.
        await OkAsync(await PatchAsync(admin, "/api/users/farah.officer", new { roles = new[] { "gis-reader" } }));
        AssertUnauthorized(await second.GetAsync("/api/me", Ct));
        AssertUnauthorized(await second.GetAsync("/api/properties/search?name=Karimi", Ct));
    }

    // The last enabled admin cannot be disabled or demoted: nobody could manage users through the API afterwards (tokens of
    // disabled users stop working at once).
    [Fact]
    public async Task TheLastEnabledAdminCannotBeDisabledOrDemotedAndAnotherAdminCanBe()
    {
        await using var api = new ApiFactory(db.ConnectionString);
        using var admin = api.CreateClient().WithToken(TestTokens.For("admin"));
        await OkAsync(await admin.PostAsync("/api/users", Json(new { login = "chief", name = "Chief", roles = new[] { "admin" }, districts = new[] { "*" } }), Ct), HttpStatusCode.Created);
        var others = await db.ScalarAsync<long>("SELECT count(*) FROM users WHERE 'admin' = ANY (roles) AND NOT disabled AND login <> 'chief'");
        Assert.Equal(0, others);

        await AssertProblemAsync(await admin.PatchAsync("/api/users/chief", Json(new { disabled = true }), Ct), 422, "user-rejected");
        await AssertProblemAsync(await admin.PatchAsync("/api/users/chief", Json(new { roles = new[] { "planner" } }), Ct), 422, "user-rejected");
        var chief = (await Users.ListAsync(db.DataSource, "chief", Ct, includeDisabled: true)).Single();
        Assert.False(chief.Disabled);
        Assert.Equal(["admin"], chief.Roles);

        // With a second admin, either may go; then the other is the last.
        await OkAsync(await admin.PostAsync("/api/users", Json(new { login = "deputy", name = "Deputy", roles = new[] { "admin", "supervisor" }, districts = new[] { "*" } }), Ct), HttpStatusCode.Created);
        await OkAsync(await admin.PatchAsync("/api/users/chief", Json(new { disabled = true }), Ct));
        await AssertProblemAsync(await admin.PatchAsync("/api/users/deputy", Json(new { roles = new[] { "supervisor" } }), Ct), 422, "user-rejected");
        await OkAsync(await admin.PatchAsync("/api/users/deputy", Json(new { roles = new[] { "admin" }, name = "Deputy Chief" }), Ct));
    }
}
