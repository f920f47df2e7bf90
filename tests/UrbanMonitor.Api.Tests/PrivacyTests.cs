using System.Text;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Domain.Tiles;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Issue 11: no anonymous output (feeds and their HTML, exports, the change feed, tiles, offline packages,
/// property reads, history and search) carries a party's name or ID document. The holders are registered with marker
/// names in Latin and Dari script; every body is searched for them byte by byte.</summary>
public class PrivacyTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string LatinName = "Zarmina Privacymarker";
    private const string DariName = "زرمینه پرایوسی‌مارکر";

    [Fact]
    public async Task NoAnonymousOutputCarriesANameOrAnIdDocument()
    {
        service.Require();
        var spot = service.FreeSpot();
        var id = await PropertyAsync(service, spot, "8801", LatinName);
        var dari = await PropertyAsync(service, spot, "8802", DariName, east: 40);
        var documents = new[] { "TZ-8801", "TZ-8802" };

        // Staff see the names: the markers are really there to be leaked.
        using var officer = service.Client(Officer);
        Assert.Contains(LatinName, await officer.GetStringAsync($"/api/properties/{id}", Ct), StringComparison.Ordinal);
        Assert.Contains(DariName, await officer.GetStringAsync($"/api/properties/{dari}", Ct), StringComparison.Ordinal);

        var urls = new List<string>
        {
            "/collections/properties/items?limit=10000", "/collections/properties/items?limit=10000&f=html",
            $"/collections/properties/items/{id}", $"/collections/properties/items/{id}?f=html",
            "/collections/properties/export?format=geojson", "/collections/properties/export?format=csv",
            "/collections/properties/export?format=gpkg", "/collections/properties/export?format=shp",
            "/collections/properties/changes", $"/api/properties/{id}", $"/api/properties/{id}/history", $"/api/properties/{dari}",
            "/api/properties/search?q=Zarmina", "/api/properties/search?q=" + Uri.EscapeDataString("زرمینه"),
            $"/api/properties/search?point={spot.X.ToString(System.Globalization.CultureInfo.InvariantCulture)},{spot.Y.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            "/api/cities/mazar-e-sharif/districts/1/package.gpkg",
        };
        for (var z = 12; z <= 18; z += 2)
        {
            var t = TileMath.TileAt(spot.X, spot.Y, z);
            var (x, y) = (t.X, t.Y);
            urls.Add($"/tiles/properties/{z}/{x}/{y}.mvt");
            urls.Add($"/tiles/properties,settlements/{z}/{x}/{y}.mvt");
            urls.Add($"/collections/properties/tiles/WebMercatorQuad/{z}/{y}/{x}");
        }

        using var anonymous = service.Client();
        var checkedBodies = 0;
        foreach (var url in urls)
        {
            using var response = await anonymous.GetAsync(url, Ct);
            Assert.True((int)response.StatusCode < 500, $"{url}: {(int)response.StatusCode}");
            var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
            foreach (var secret in new[] { LatinName, "Privacymarker", DariName, "زرمینه" }.Concat(documents))
                Assert.True(IndexOf(bytes, Encoding.UTF8.GetBytes(secret)) < 0, $"{url} ({(int)response.StatusCode}) shows '{secret}' to an anonymous caller");
            if (response.IsSuccessStatusCode && bytes.Length > 0) checkedBodies++;
        }
        Assert.True(checkedBodies >= urls.Count / 2, $"only {checkedBodies} of {urls.Count} outputs answered anonymously: the test would prove little");
    }

    [Fact]
    public async Task StaffOfAnotherDistrictOrCityReadNoPartiesIdDocumentsOrSourceDocumentsOfAProperty()
    {
        service.Require();
        var spot = service.FreeSpot();
        var id = await PropertyAsync(service, spot, "8803", "Farzana Otherdistrictmarker");
        var secrets = new[] { "Otherdistrictmarker", "TZ-8803" };
        var urls = new[]
        {
            $"/api/properties/{id}", $"/api/properties/{id}/history",
            "/api/properties/search?code=MZR-1-77-8803", "/api/properties/search?name=Otherdistrictmarker",
        };

        // The property's own district's staff see the holder (the marker is really there to be leaked).
        using var own = service.Client(Officer);
        Assert.Contains("Otherdistrictmarker", await own.GetStringAsync(urls[0], Ct), StringComparison.Ordinal);
        Assert.Contains("Otherdistrictmarker", await own.GetStringAsync(urls[3], Ct), StringComparison.Ordinal);

        foreach (var token in new[]
                 {
                     TestTokens.For("land-officer", "mazar-e-sharif:2"), TestTokens.For("supervisor", "mazar-e-sharif:2"),
                     TestTokens.For("land-officer", "rio-de-janeiro:013"), TestTokens.For("admin", "rio-de-janeiro:013"),
                 })
        {
            using var other = service.Client(token);
            foreach (var url in urls)
            {
                using var response = await other.GetAsync(url, Ct);
                var body = await response.Content.ReadAsStringAsync(Ct);
                Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
                foreach (var secret in secrets)
                    Assert.False(body.Contains(secret, StringComparison.Ordinal), $"{url} shows '{secret}' to staff of another district");
            }
        }
    }

    /// <summary>A survey file's other columns land in a parcel's free-form attributes (imports keep them all), and
    /// a file may well hold the occupant's name or phone there: like the parties, only the district's staff read them.</summary>
    [Fact]
    public async Task AParcelsFreeFormAttributesAreReadOnlyByStaffOfItsDistrict()
    {
        service.Require();
        var spot = service.FreeSpot();
        using var officer = service.Client(Officer);
        var created = await OkAsync(await officer.PostAsync("/api/properties", Feature(Square(spot, 15, 0, 0), "1", "77", "8804",
            attributes: new { land_use = "residential", occupant_phone = "0799-Attributemarker" }), Ct), System.Net.HttpStatusCode.Created);
        var id = created.GetProperty("id").GetInt64();

        var own = await OkAsync(await officer.GetAsync($"/api/properties/{id}", Ct));
        Assert.Equal("0799-Attributemarker", own.GetProperty("properties").GetProperty("attributes").GetProperty("occupant_phone").GetString());
        foreach (var token in new[] { null, TestTokens.For("land-officer", "mazar-e-sharif:2"), TestTokens.For("admin", "rio-de-janeiro:013") })
        {
            using var other = token is null ? service.Client() : service.Client(token);
            foreach (var url in new[] { $"/api/properties/{id}", $"/api/properties/{id}/history", $"/collections/properties/items/{id}" })
            {
                using var response = await other.GetAsync(url, Ct);
                var body = await response.Content.ReadAsStringAsync(Ct);
                Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
                Assert.False(body.Contains("Attributemarker", StringComparison.Ordinal), $"{url} shows the attributes to {token ?? "anonymous"}");
            }
        }
    }

    /// <summary>The reason staff write with an edit may speak of the holders; the public history says what happened.</summary>
    [Fact]
    public async Task TheReasonsStaffWriteStayWithStaffAndThePublicHistorySaysWhatHappened()
    {
        service.Require();
        var spot = service.FreeSpot();
        var id = await PropertyAsync(service, spot, "8805", "Zarmina Holder");
        using var officer = service.Client(Officer);
        using (var edit = await PutAsync(officer, $"/api/properties/{id}",
                   Feature(Square(spot, 16), "1", "77", "8805", reason: "fence moved at the request of Reasonmarker"), "\"v3\""))
            Assert.True(edit.StatusCode == System.Net.HttpStatusCode.OK, $"{(int)edit.StatusCode} {await edit.Content.ReadAsStringAsync(Ct)}");

        var staff = await OkAsync(await officer.GetAsync($"/api/properties/{id}/history", Ct));
        Assert.Equal("fence moved at the request of Reasonmarker",
            staff.GetProperty("versions").EnumerateArray().Last().GetProperty("reason").GetString());
        foreach (var token in new[] { null, TestTokens.For("land-officer", "mazar-e-sharif:2") })
        {
            using var other = token is null ? service.Client() : service.Client(token);
            var history = await OkAsync(await other.GetAsync($"/api/properties/{id}/history", Ct));
            Assert.Equal(["created", "verified", "registered", "updated"],
                history.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("reason").GetString()));
        }
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
