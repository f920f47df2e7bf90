using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Helpers for the registry-transaction tests: registered properties, documents, JSON bodies.</summary>
public static class TransactionsTestKit
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string Supervisor { get; } = TestTokens.For("supervisor", "mazar-e-sharif:1");

    /// <summary>A minimal PDF: real magic bytes and a body, enough for the type check.</summary>
    public static byte[] Pdf(string text) => Encoding.ASCII.GetBytes("%PDF-1.4\n% " + text + "\n%%EOF\n");

    public static StringContent Json(object body) =>
        new(JsonSerializer.Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    /// <summary>Asserts a 401 answered as problem+json.</summary>
    public static void AssertUnauthorized(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    public static async Task<JsonElement> OkAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Registers a property with one owner through the real workflow (officer surveys, supervisor verifies and,
    /// unless <paramref name="upTo"/> says otherwise, registers); returns its id.</summary>
    public static async Task<long> PropertyAsync(MazarRegistrationService service, (double X, double Y) spot, string parcel, string owner,
        string upTo = "registered", double side = 15, double east = 0, double north = 0)
    {
        using var officer = service.Client(Officer);
        using var supervisor = service.Client(Supervisor);
        var created = await OkAsync(await officer.PostAsync("/api/properties", Feature(Square(spot, side, east, north), "1", "77", parcel,
            rights: new[] { new { kind = "ownership", share = 1, party = new { kind = "person", name = owner, idDocument = "TZ-" + parcel } } }), Ct),
            HttpStatusCode.Created);
        var id = created.GetProperty("id").GetInt64();
        if (upTo is "verified" or "registered") await OkAsync(await supervisor.PostAsync($"/api/properties/{id}/verify", null, Ct));
        if (upTo == "registered") await OkAsync(await supervisor.PostAsync($"/api/properties/{id}/register", null, Ct));
        return id;
    }

    /// <summary>Uploads a document to a record (e.g. <c>property:12</c>) as the land officer; returns its id.</summary>
    public static async Task<long> DocumentAsync(MazarRegistrationService service, string record, byte[] bytes, string kind = "deed", string name = "deed.pdf")
    {
        using var officer = service.Client(Officer);
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var doc = await OkAsync(await officer.PostAsync($"/api/documents?record={record}&kind={kind}&name={name}", content, Ct), HttpStatusCode.Created);
        return doc.GetProperty("id").GetInt64();
    }

    /// <summary>The current (or <paramref name="at"/>) rights as "name:kind:share" sorted, e.g. "Ali:ownership:1".</summary>
    public static async Task<string> RightsAsync(HttpClient staff, long id, string? at = null)
    {
        var url = $"/api/properties/{id}" + (at is null ? "" : "?at=" + Uri.EscapeDataString(at));
        var f = await OkAsync(await staff.GetAsync(url, Ct));
        return string.Join(" ", f.GetProperty("properties").GetProperty("rights").EnumerateArray()
            .Select(r => $"{r.GetProperty("party").GetProperty("name").GetString()}:{r.GetProperty("kind").GetString()}:{r.GetProperty("share").GetDecimal():0.##}")
            .Order(StringComparer.Ordinal));
    }
}
