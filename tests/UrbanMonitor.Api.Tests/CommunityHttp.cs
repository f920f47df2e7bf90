using System.Net;
using System.Text;
using System.Text.Json;

namespace UrbanMonitor.Api.Tests;

/// <summary>Request bodies and response checks shared by the community tests (issue 13).</summary>
internal static class CommunityHttp
{
    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Body(object body) => Body(JsonSerializer.Serialize(body));

    /// <summary>The JSON body of a response that must have <paramref name="expected"/> status (else the body is shown).</summary>
    public static async Task<JsonElement> OkAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} instead of {(int)expected}: {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>An RFC 9457 problem with <paramref name="expected"/> status.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var problem = await OkAsync(response, expected);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return problem;
    }
}
