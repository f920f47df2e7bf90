using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;

namespace UrbanMonitor.Api.Tests;

public class AuthTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithoutATokenMeIs401AsAProblemAndWithOneItShowsTheClaims()
    {
        using var anonymous = service.Api.CreateClient();
        using var refused = await anonymous.GetAsync("/api/me", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

        using var officer = service.Api.CreateClient().WithToken(TestTokens.For("land-officer", "synthetic:1"));
        using var me = JsonDocument.Parse(await officer.GetStringAsync("/api/me", Ct));
        Assert.Equal(["land-officer"], me.RootElement.GetProperty("roles").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["synthetic:1"], me.RootElement.GetProperty("districts").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task ATokenSignedWithAnotherKeyOrExpiredIsRefused()
    {
        var otherKey = UrbanMonitor.Database.Auth.TokenSettings.FromBase64(UrbanMonitor.Database.Auth.TokenSettings.NewKey());
        var user = new UrbanMonitor.Database.Auth.User(Guid.NewGuid(), "mallory", "Mallory", ["admin"], ["*"]);
        using var forged = service.Api.CreateClient().WithToken(UrbanMonitor.Database.Auth.Tokens.Issue(user, otherKey, TimeSpan.FromHours(1)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task OnlyAdminsMayImportLayers()
    {
        var body = ImportService.FeatureCollection(ImportService.Square(69, 35.2));
        using var content = new ByteArrayContent(body);
        using var anonymous = service.Api.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/cities/synthetic/layers/open-spaces", content, Ct)).StatusCode);
        using var reader = service.Api.CreateClient().WithToken(TestTokens.For("gis-reader"));
        using var forbidden = await reader.PostAsync("/api/cities/synthetic/layers/open-spaces", new ByteArrayContent(body), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/imports/{Guid.NewGuid()}", Ct)).StatusCode);
    }
}

public class UserCliTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task TheCliAddsUsersWithDistrictsAndIssuesTokensTheServiceAccepts()
    {
        var ct = TestContext.Current.CancellationToken;
        await new DemoLoader(db.DataSource).LoadSyntheticAsync(2_000, 42, ct);
        var env = new Dictionary<string, string?> { ["URBANMONITOR_DB"] = db.ConnectionString, ["URBANMONITOR_Auth__SigningKey"] = TestTokens.Key };

        var add = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "add", "sara.officer", "--name", "سارا Sara", "--role", "land-officer", "--district", "synthetic:2"], env);
        Assert.True(add.ExitCode == 0, add.Output);
        var unknown = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "add", "x.y", "--role", "land-officer", "--district", "synthetic:99"], env);
        Assert.Equal(5, unknown.ExitCode);
        Assert.Contains("no district synthetic:99", unknown.Stderr);
        var badRole = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "add", "x.z", "--role", "king"], env);
        Assert.Contains("Unknown role", badRole.Stderr);

        var token = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "token", "sara.officer"], env);
        Assert.True(token.ExitCode == 0, token.Output);
        await using var api = new ApiFactory(db.ConnectionString);
        using var client = api.CreateClient().WithToken(token.Stdout.Trim());
        using var me = JsonDocument.Parse(await client.GetStringAsync("/api/me", ct));
        Assert.Equal("سارا Sara", me.RootElement.GetProperty("name").GetString());
        Assert.Equal("synthetic:2", me.RootElement.GetProperty("districts")[0].GetString());

        var file = Path.Combine(Path.GetTempPath(), $"demo-users-{Guid.NewGuid():N}.json");
        var demo = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "demo", "--out", file], env);
        Assert.True(demo.ExitCode == 0, demo.Output);
        using var users = JsonDocument.Parse(await File.ReadAllTextAsync(file, ct));
        File.Delete(file);
        var list = users.RootElement.GetProperty("users").EnumerateArray().ToList();
        foreach (var role in UrbanMonitor.Database.Auth.Roles.All)
            Assert.Contains(list, u => u.GetProperty("role").GetString() == role);
        var officers = list.Where(u => u.GetProperty("role").GetString() == "land-officer").Select(u => u.GetProperty("districts")[0].GetString()).ToList();
        Assert.Equal(2, officers.Distinct().Count());
        foreach (var u in list)
        {
            using var c = api.CreateClient().WithToken(u.GetProperty("token").GetString()!);
            Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/api/me", ct)).StatusCode);
        }
    }
}
