using System.Net;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Auth;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>The last enabled admin cannot be disabled or demoted through <c>PATCH /api/users</c>: nobody could manage
/// users through the API afterwards (tokens of disabled users stop working at once).</summary>
public class LastAdminTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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
