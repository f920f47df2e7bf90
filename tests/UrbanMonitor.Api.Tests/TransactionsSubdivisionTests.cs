using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Subdivision by sale of part, and the rights that splits and merges carry over.</summary>
public partial class TransactionsTests
{
    private static string Pt(double x, double y) => string.Create(CultureInfo.InvariantCulture, $"[{x:R},{y:R}]");

    private async Task<JsonElement> PropertyJsonAsync(HttpClient staff, long id, string? at = null) =>
        (await OkAsync(await staff.GetAsync($"/api/properties/{id}" + (at is null ? "" : "?at=" + Uri.EscapeDataString(at)), Ct))).GetProperty("properties");

    private static async Task<HttpResponseMessage> PostWithIfMatchAsync(HttpClient client, string url, string body, string ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")) };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task ASaleOfPartSplitsTheParcelGivesThePartToTheBuyerKeepsTheRemainderWithTheOwnersAndCarriesTheMortgage()
    {
        service.Require();
        var spot = service.FreeSpot();
        var id = await PropertyAsync(service, spot, "1601", "Abdul Rahim");
        using var officer = service.Client(Officer);
        using var staff = service.Client(Supervisor);
        var mortgageDeed = await DocumentAsync(service, $"property:{id}", Pdf("mortgage deed"));
        await ApplyAsync(id, new { kind = "mortgage", documentId = mortgageDeed, open = new[] { new { party = new { kind = "organisation", name = "Kabul Bank" } } } });
        var parent = await PropertyJsonAsync(staff, id);
        var parentCode = parent.GetProperty("code").GetString()!;
        var parentArea = parent.GetProperty("areaM2").GetDouble();
        var beforeSale = parent.GetProperty("validFrom").GetString()!;
        var deed = await DocumentAsync(service, $"property:{id}", Pdf("deed of sale of part"));
        object Body(string part, object[]? buyers = null) => new
        {
            kind = "subdivision", documentId = deed, reason = "sale of the south-west corner",
            part = JsonDocument.Parse(part).RootElement,
            open = buyers ?? new object[] { new { share = 1, party = new { name = "Gul Ahmad", idDocument = "TZ-77" } } },
        };

        // A part reaching outside the parcel, the whole parcel, or buyers whose shares do not sum to 1 are refused; nothing changes.
        var outside = await AssertProblemAsync(await officer.PostAsync($"/api/properties/{id}/transactions", Json(Body(Square(spot, 7.5, east: 12))), Ct), 422, "invalid-part");
        Assert.StartsWith("POINT(", outside.GetProperty("location").GetString());
        await AssertProblemAsync(await officer.PostAsync($"/api/properties/{id}/transactions", Json(Body(Square(spot, 15))), Ct), 422, "invalid-part");
        await AssertProblemAsync(await officer.PostAsync($"/api/properties/{id}/transactions", Json(Body(Square(spot, 7.5),
            [new { share = 0.5, party = new { name = "Gul Ahmad" } }])), Ct), 422, "invalid-transaction");
        await AssertProblemAsync(await officer.PostAsync($"/api/properties/{id}/transactions", Json(new { kind = "subdivision", documentId = deed,
            open = new[] { new { share = 1, party = new { name = "Gul Ahmad" } } } }), Ct), 422, "invalid-part");
        await AssertProblemAsync(await officer.PostAsync($"/api/properties/{id}/transactions", Json(Body(
            "{\"type\":\"Polygon\",\"coordinates\":[[" + Pt(spot.X, spot.Y) + "," + Pt(spot.X + 5 * DegLon, spot.Y + 5 * DegLat) + "," +
            Pt(spot.X + 5 * DegLon, spot.Y) + "," + Pt(spot.X, spot.Y + 5 * DegLat) + "," + Pt(spot.X, spot.Y) + "]]}")), Ct), 422, "invalid-geometry");
        Assert.Equal("Abdul Rahim:ownership:1 Kabul Bank:mortgage:1", await RightsAsync(staff, id));

        // Lodged, nothing changes; approved, the parcel is split in two registered parcels.
        var lodged = await OkAsync(await officer.PostAsync($"/api/properties/{id}/transactions", Json(Body(Square(spot, 7.5))), Ct), HttpStatusCode.Created);
        Assert.Equal("registered", (await PropertyJsonAsync(staff, id)).GetProperty("status").GetString());
        var approved = await OkAsync(await staff.PostAsync($"/api/transactions/{lodged.GetProperty("id").GetInt64()}/approve", null, Ct));
        Assert.Equal("approved", approved.GetProperty("status").GetString());
        var children = approved.GetProperty("children").EnumerateArray().ToList();
        Assert.Equal([parentCode + "/1", parentCode + "/2"], children.Select(c => c.GetProperty("code").GetString()));
        var remainder = children[0].GetProperty("id").GetInt64();
        var sold = children[1].GetProperty("id").GetInt64();

        // The parent is retired and its rights ended; as it was before the sale it still shows them.
        var retired = await PropertyJsonAsync(staff, id);
        Assert.Equal("retired", retired.GetProperty("status").GetString());
        Assert.Equal("", await RightsAsync(staff, id));
        Assert.Equal("Abdul Rahim:ownership:1 Kabul Bank:mortgage:1", await RightsAsync(staff, id, beforeSale));
        var history = await OkAsync(await staff.GetAsync($"/api/properties/{id}/history", Ct));
        Assert.StartsWith("subdivision (transaction ", history.GetProperty("versions").EnumerateArray().Last().GetProperty("reason").GetString());

        // The owner keeps the remainder, the buyer owns the part, the mortgage burdens both; both are registered.
        Assert.Equal("Abdul Rahim:ownership:1 Kabul Bank:mortgage:1", await RightsAsync(staff, remainder));
        Assert.Equal("Gul Ahmad:ownership:1 Kabul Bank:mortgage:1", await RightsAsync(staff, sold));
        var a = await PropertyJsonAsync(staff, remainder);
        var b = await PropertyJsonAsync(staff, sold);
        Assert.Equal("registered", a.GetProperty("status").GetString());
        Assert.Equal("registered", b.GetProperty("status").GetString());
        Assert.InRange(b.GetProperty("areaM2").GetDouble(), 56.25 - 0.5, 56.25 + 0.5);
        Assert.InRange(a.GetProperty("areaM2").GetDouble() + b.GetProperty("areaM2").GetDouble(), parentArea - 0.01, parentArea + 0.01);
        // The lineage links them and the parcels do not overlap.
        Assert.Equal(0, await service.Db.ScalarAsync<long>(
            "SELECT count(*) FROM properties x JOIN properties y ON x.id = $1 AND y.id = $2 WHERE ST_Area(ST_Intersection(x.geom, y.geom)::geography) > 0.01", remainder, sold));
        Assert.Equal(2, await service.Db.ScalarAsync<long>("SELECT count(*) FROM property_lineage WHERE parent_id = $1 AND child_id = ANY($2)", id, new[] { remainder, sold }));

        // The buyer's parcel can be sold on at once: it is registered and has its owner.
        var resale = await DocumentAsync(service, $"property:{sold}", Pdf("resale"));
        await ApplyAsync(sold, new { kind = "sale", documentId = resale, open = new[] { new { share = 1, party = new { name = "Zarghona Noori" } } } });
        Assert.Equal("Kabul Bank:mortgage:1 Zarghona Noori:ownership:1", await RightsAsync(staff, sold));
    }

    [Fact]
    public async Task ASplitsChildrenCarryTheParentsRightsAndAMergeOfParcelsHeldAlikeKeepsThem()
    {
        service.Require();
        var spot = service.FreeSpot();
        var id = await PropertyAsync(service, spot, "1602", "Mariam Sadat", upTo: "surveyed");
        using var officer = service.Client(Officer);
        var midX = spot.X + 7.5 * DegLon;
        var line = "{\"type\":\"LineString\",\"coordinates\":[" + Pt(midX, spot.Y - 2 * DegLat) + "," + Pt(midX, spot.Y + 17 * DegLat) + "]}";
        using var split = await PostWithIfMatchAsync(officer, $"/api/properties/{id}/split", line, "\"v1\"");
        var body = await OkAsync(split);
        var children = body.GetProperty("properties").GetProperty("lineage").GetProperty("children").EnumerateArray()
            .Select(c => c.GetProperty("id").GetInt64()).ToArray();
        Assert.Equal(2, children.Length);
        foreach (var child in children) Assert.Equal("Mariam Sadat:ownership:1", await RightsAsync(officer, child));
        Assert.Equal("", await RightsAsync(officer, id));

        using var merged = await PostWithIfMatchAsync(officer, "/api/properties/merge",
            $"{{\"ids\":[{children[0]},{children[1]}],\"parcel\":\"1602m\",\"reason\":\"joined again\"}}", "\"v1\", \"v1\"");
        var whole = await OkAsync(merged, HttpStatusCode.Created);
        var mergedId = whole.GetProperty("id").GetInt64();
        Assert.Equal("Mariam Sadat:ownership:1", await RightsAsync(officer, mergedId));
        foreach (var child in children) Assert.Equal("", await RightsAsync(officer, child));
    }

    [Fact]
    public async Task AMergeOfParcelsHeldByDifferentPeopleStartsWithoutRights()
    {
        service.Require();
        var spot = service.FreeSpot();
        var west = await PropertyAsync(service, spot, "1603", "Hamid Noori", upTo: "surveyed");
        var east = await PropertyAsync(service, spot, "1604", "Nadia Noori", upTo: "surveyed", east: 15);
        using var officer = service.Client(Officer);
        var before = (await PropertyJsonAsync(officer, west)).GetProperty("validFrom").GetString()!;
        using var merged = await PostWithIfMatchAsync(officer, "/api/properties/merge", $"{{\"ids\":[{west},{east}],\"parcel\":\"1603m\"}}", "\"v1\", \"v1\"");
        var whole = await OkAsync(merged, HttpStatusCode.Created);
        Assert.Equal("", await RightsAsync(officer, whole.GetProperty("id").GetInt64()));
        Assert.Equal("", await RightsAsync(officer, west));
        Assert.Equal("Hamid Noori:ownership:1", await RightsAsync(officer, west, before));
    }
}
