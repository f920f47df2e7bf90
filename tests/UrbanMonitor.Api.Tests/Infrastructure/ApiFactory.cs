using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace UrbanMonitor.Api.Tests.Infrastructure;

/// <summary>The real service in memory, on a test class's own database.</summary>
public sealed class ApiFactory(string connectionString, IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["DB"] = connectionString,
            ["Auth:SigningKey"] = TestTokens.Key,
            ["Logging:Console:FormatterName"] = "simple",
        }));
    }
}

/// <summary>Tokens signed with the key the test service checks, as the CLI would issue them.</summary>
public static class TestTokens
{
    public static readonly string Key = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("urbanmonitor-tests-signing-key-of-32+-bytes"));

    public static string For(string role, params string[] districts) =>
        UrbanMonitor.Database.Auth.Tokens.Issue(
            new UrbanMonitor.Database.Auth.User(Guid.NewGuid(), role.Replace("-", ".", StringComparison.Ordinal), "Test " + role, [role], districts.Length == 0 ? ["*"] : districts),
            UrbanMonitor.Database.Auth.TokenSettings.FromBase64(Key), TimeSpan.FromHours(1));

    public static HttpClient WithToken(this HttpClient client, string token)
    {
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
