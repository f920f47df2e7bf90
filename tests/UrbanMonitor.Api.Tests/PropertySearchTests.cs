using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary><c>GET /api/properties/search</c> on the real Mazar parcels plus parcels registered here with Dari, Pashto
/// and Latin party names: code prefix, party name (Arabic-script letter variants, harakat, ZWNJ and Latin diacritics
/// ignored), point, bounding box, <c>?at=</c>, paging, and privacy.</summary>
public class PropertySearchTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Holder(string name, double share = 1) =>
        new { kind = "ownership", share, party = new { kind = "person", name, idDocument = "TZ-" + name.Length } };

    private async Task<(string Code, DateTimeOffset Before)> RegisterAsync(string block, string parcel, params object[] rights)
    {
        using var officer = service.Client(Officer);
        var before = DateTimeOffset.UtcNow;
        await Task.Delay(20, Ct);
        using var created = await officer.PostAsync("/api/properties", Feature(Square(service.FreeSpot()), "1", block, parcel, rights: rights), Ct);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        return ((await JsonAsync(created)).GetProperty("properties").GetProperty("code").GetString()!, before);
    }

    private static async Task<string[]> CodesAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("/api/properties/search?" + query, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("features").EnumerateArray()
            .Select(f => f.GetProperty("properties").GetProperty("code").GetString()!).ToArray();
    }

    [Fact]
    public async Task PartyNamesAreFoundWhateverTheLetterVariantsDiacriticsAndJoinersOfTheQuery()
    {
        service.Require();
        // Stored with Arabic yeh and kaf, harakat and a tatweel; searched in Persian letters without them (and back).
        var (dari, before) = await RegisterAsync("971", "1", Holder("مُحَمَّد علي كريمـي"));
        // Pashto, stored with a zero-width non-joiner.
        var (pashto, _) = await RegisterAsync("971", "2", Holder("زرغونه\u200cګل", 0.5), Holder("José Müller", 0.25), Holder("Ahmad Shah", 0.25));
        using var staff = service.Client(Officer);

        Assert.Equal([dari], await CodesAsync(staff, "name=" + Uri.EscapeDataString("محمد علی کریمی")));
        Assert.Equal([dari], await CodesAsync(staff, "name=" + Uri.EscapeDataString("كريمي")));
        Assert.Equal([dari], await CodesAsync(staff, "name=" + Uri.EscapeDataString("علی")));
        Assert.Equal([pashto], await CodesAsync(staff, "name=" + Uri.EscapeDataString("زرغونهګل")));
        Assert.Equal([pashto], await CodesAsync(staff, "name=" + Uri.EscapeDataString("JOSE muller")));
        Assert.Empty(await CodesAsync(staff, "name=" + Uri.EscapeDataString("Müllerova")));
        // As of before the registration, nobody held it under that name.
        Assert.Empty(await CodesAsync(staff, "name=" + Uri.EscapeDataString("کریمی") + "&at=" + Uri.EscapeDataString(before.ToString("O"))));
        // Staff see the holders.
        using var response = await staff.GetAsync("/api/properties/search?code=" + Uri.EscapeDataString(dari), Ct);
        var holders = (await JsonAsync(response)).GetProperty("features")[0].GetProperty("properties").GetProperty("holders");
        Assert.Equal("مُحَمَّد علي كريمـي", holders[0].GetString());
    }

    [Fact]
    public async Task CodePrefixPointAndBoundingBoxFindTheRightParcelsWithPaging()
    {
        service.Require();
        using var anonymous = service.Client();
        var expected = await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE code LIKE 'MZR-1-15-%'");
        Assert.True(expected > 3);
        var all = new List<string>();
        var next = "/api/properties/search?code=MZR-1-15-&limit=3";
        while (next is not null)
        {
            using var page = await anonymous.GetAsync(next, Ct);
            var json = await JsonAsync(page);
            all.AddRange(json.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties").GetProperty("code").GetString()!));
            next = json.TryGetProperty("links", out var links) ? links[0].GetProperty("href").GetString() : null;
        }
        Assert.Equal(expected, all.Count);
        Assert.All(all, c => Assert.StartsWith("MZR-1-15-", c));
        Assert.Equal(all.Order(StringComparer.Ordinal), all);

        // A point inside MZR-1-15-22 (its point on surface, computed by PostGIS here) finds exactly that parcel.
        var xy = await service.Db.ScalarAsync<string>(
            "SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM properties WHERE code = 'MZR-1-15-22') s");
        Assert.Equal(["MZR-1-15-22"], await CodesAsync(anonymous, "point=" + xy));

        // A box around one free spot holds the parcel registered there and nothing else.
        var spot = service.FreeSpot();
        using (var officer = service.Client(Officer))
        using (var created = await officer.PostAsync("/api/properties", Feature(Square(spot), "1", "972", "1"), Ct))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var box = string.Join(",", new[] { spot.X - 5 * DegLon, spot.Y - 5 * DegLat, spot.X + 20 * DegLon, spot.Y + 20 * DegLat }
            .Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(["MZR-1-972-1"], await CodesAsync(anonymous, "bbox=" + box));
        Assert.Equal(["MZR-1-972-1"], await CodesAsync(anonymous, "bbox=" + box + "&code=MZR-1-972"));
        Assert.Empty(await CodesAsync(anonymous, "bbox=" + box + "&code=MZR-1-15-"));
    }

    [Fact]
    public async Task AnonymousSearchesCarryNoNamesAndNameSearchNeedsStaff()
    {
        service.Require();
        var (code, _) = await RegisterAsync("973", "1", Holder("گلالۍ ناظری"));
        using var anonymous = service.Client();
        using var response = await anonymous.GetAsync("/api/properties/search?code=" + Uri.EscapeDataString(code), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(code, body);
        Assert.DoesNotContain("ناظری", body);
        Assert.DoesNotContain("TZ-", body);

        await AssertProblemAsync(await anonymous.GetAsync("/api/properties/search?name=" + Uri.EscapeDataString("ناظری"), Ct), 401, "unauthorized");
        using var planner = service.Client(TestTokens.For("planner", "mazar-e-sharif:1"));
        await AssertProblemAsync(await planner.GetAsync("/api/properties/search?name=" + Uri.EscapeDataString("ناظری"), Ct), 403, "forbidden-role");
        foreach (var bad in new[] { "", "point=200,1", "point=1", "bbox=1,2,0,3", "bbox=a,b,c,d", "limit=0&code=MZR", "code=MZR&at=yesterday" })
            await AssertProblemAsync(await anonymous.GetAsync("/api/properties/search?" + bad, Ct), 400, "invalid-parameter");
    }
}
