using System.Net;
using System.Text.Json;

namespace UrbanMonitor.Api.Tests.Infrastructure;

/// <summary>GET a URL of the test service and parse its JSON, failing the test with the body unless it answered 200.</summary>
public static class ApiJson
{
    public static async Task<JsonElement> GetOkJsonAsync(this ApiFactory api, string url)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = api.CreateClient();
        using var response = await client.GetAsync(url, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
