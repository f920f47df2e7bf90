using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Splits and merges with lineage through <c>/api/properties</c>, beside the real Mazar parcels.</summary>
public class LineageTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, new MediaTypeHeaderValue("application/geo+json"));

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string url, string body, string? ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Json(body) };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await client.SendAsync(request, Ct);
    }

    private static string Pt(double x, double y) => string.Create(CultureInfo.InvariantCulture, $"[{x:R},{y:R}]");

    private async Task<(long Id, string Location)> CreateAsync(HttpClient officer, string geometry, string block, string parcel)
    {
        using var created = await officer.PostAsync("/api/properties", Feature(geometry, "1", block, parcel), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();
        return (long.Parse(location.Split('/')[^1], CultureInfo.InvariantCulture), location);
    }

    [Fact]
    public async Task ASplitByACuttingLineThenAMergeConservesTheAreaAndKeepsTheLineageAndTheHistory()
    {
        service.Require();
        using var officer = service.Client(Officer);
        var spot = service.FreeSpot();
        var (parentId, parent) = await CreateAsync(officer, Square(spot, side: 20), "951", "7");
        await Task.Delay(50, Ct);
        var beforeSplit = DateTimeOffset.UtcNow;
        await Task.Delay(50, Ct);

        // A north-south line through the middle, reaching past both edges.
        var midX = spot.X + 10 * DegLon;
        var line = "{\"type\":\"Feature\",\"properties\":{\"reason\":\"sold the east half\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[" +
                   Pt(midX, spot.Y - 5 * DegLat) + "," + Pt(midX, spot.Y + 25 * DegLat) + "]}}";
        using (var stale = await PostAsync(officer, parent + "/split", line, "\"v9\""))
            await AssertProblemAsync(stale, 412, "precondition-failed");
        using (var noMatch = await PostAsync(officer, parent + "/split", line, null))
            await AssertProblemAsync(noMatch, 428, "precondition-required");
        using var split = await PostAsync(officer, parent + "/split", line, "\"v1\"");
        var splitBody = await split.Content.ReadAsStringAsync(Ct);
        Assert.True(split.StatusCode == HttpStatusCode.OK, splitBody);
        var retired = JsonDocument.Parse(splitBody).RootElement.GetProperty("properties");
        Assert.Equal("retired", retired.GetProperty("status").GetString());
        var children = retired.GetProperty("lineage").GetProperty("children").EnumerateArray().ToList();
        Assert.Equal(["MZR-1-951-7/1", "MZR-1-951-7/2"], children.Select(c => c.GetProperty("code").GetString()));
        Assert.All(children, c => Assert.Equal("split", c.GetProperty("operation").GetString()));

        double total = 0;
        var childIds = new List<long>();
        foreach (var c in children)
        {
            var child = await JsonAsync(await officer.GetAsync("/api/properties/" + c.GetProperty("id").GetInt64(), Ct));
            var props = child.GetProperty("properties");
            Assert.Equal("surveyed", props.GetProperty("status").GetString());
            Assert.Equal(parentId, props.GetProperty("lineage").GetProperty("parents")[0].GetProperty("id").GetInt64());
            Assert.Equal(200, props.GetProperty("areaM2").GetDouble(), 1.0);
            total += props.GetProperty("areaM2").GetDouble();
            childIds.Add(c.GetProperty("id").GetInt64());
        }
        Assert.Equal(400, total, 1.0);

        // The parent as it was before the split: active, whole, with no children yet.
        var at = Uri.EscapeDataString(beforeSplit.ToString("O", CultureInfo.InvariantCulture));
        var past = (await JsonAsync(await officer.GetAsync($"{parent}?at={at}", Ct))).GetProperty("properties");
        Assert.Equal("surveyed", past.GetProperty("status").GetString());
        Assert.Equal(0, past.GetProperty("lineage").GetProperty("children").GetArrayLength());
        Assert.Equal(400, past.GetProperty("areaM2").GetDouble(), 1.0);
        // The children did not exist then.
        using (var notYet = await officer.GetAsync($"/api/properties/{childIds[0]}?at={at}", Ct))
            await AssertProblemAsync(notYet, 404, "property-not-found");
        var history = await JsonAsync(await officer.GetAsync(parent + "/history", Ct));
        Assert.Equal(["surveyed", "retired"], history.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("status").GetString()));
        Assert.Equal("sold the east half", history.GetProperty("versions")[1].GetProperty("reason").GetString());
        Assert.Equal(2, history.GetProperty("lineage").GetArrayLength());

        // Merge them back under a new parcel number: the area comes back within the tolerance.
        var merge = $"{{\"ids\":[{childIds[0]},{childIds[1]}],\"parcel\":\"8\",\"reason\":\"bought back\"}}";
        using (var wrongCount = await PostAsync(officer, "/api/properties/merge", merge, "\"v1\""))
            await AssertProblemAsync(wrongCount, 428, "precondition-required");
        using var merged = await PostAsync(officer, "/api/properties/merge", merge, "\"v1\", \"v1\"");
        var mergedBody = await merged.Content.ReadAsStringAsync(Ct);
        Assert.True(merged.StatusCode == HttpStatusCode.Created, mergedBody);
        var whole = JsonDocument.Parse(mergedBody).RootElement.GetProperty("properties");
        Assert.Equal("MZR-1-951-8", whole.GetProperty("code").GetString());
        Assert.Equal(400, whole.GetProperty("areaM2").GetDouble(), 1.0);
        Assert.Equal(childIds, whole.GetProperty("lineage").GetProperty("parents").EnumerateArray().Select(p => p.GetProperty("id").GetInt64()).Order());
        Assert.Equal(1, await service.Db.ScalarAsync<long>(
            $"SELECT count(*) FROM properties a, properties b WHERE a.id = {parentId} AND b.code = 'MZR-1-951-8' AND ST_Area(ST_SymDifference(a.geom, b.geom)::geography) < 0.5"));
        foreach (var id in childIds)
            Assert.Equal("retired", (await JsonAsync(await officer.GetAsync("/api/properties/" + id, Ct))).GetProperty("properties").GetProperty("status").GetString());

        // Codes are never reused: neither the retired parent's nor a child's.
        using (var reuse = await officer.PostAsync("/api/properties", Feature(Square(service.FreeSpot()), "1", "951", "7"), Ct))
            await AssertProblemAsync(reuse, 422, "code-taken");
        using (var again = await PostAsync(officer, "/api/properties/merge", merge, "\"v2\", \"v2\""))
            await AssertProblemAsync(again, 409, "status-conflict");
    }

    [Fact]
    public async Task ChildrenThatLeaveAGapOrOverlapAreRefusedWithTheAreaAndWhereAndNothingChanges()
    {
        service.Require();
        using var officer = service.Client(Officer);
        var spot = service.FreeSpot();
        var (_, parent) = await CreateAsync(officer, Square(spot, side: 20), "952", "1");
        string Collection(params string[] geometries) =>
            "{\"type\":\"FeatureCollection\",\"features\":[" + string.Join(",", geometries.Select(g => "{\"type\":\"Feature\",\"properties\":{},\"geometry\":" + g + "}")) + "]}";

        // West 9 m and east 9 m: a 2 m strip (40 m²) in the middle is in no child.
        using (var gap = await PostAsync(officer, parent + "/split", Collection(Rect(spot, 0, 9), Rect(spot, 11, 20)), "\"v1\""))
        {
            var problem = await AssertProblemAsync(gap, 422, "split-coverage");
            Assert.Equal(40, problem.GetProperty("gapM2").GetDouble(), 1.0);
            Assert.StartsWith("POINT", problem.GetProperty("location").GetString());
            Assert.Equal(-40, problem.GetProperty("differenceM2").GetDouble(), 1.0);
        }
        // West 12 m and east 12 m: they overlap by 4 m × 20 m.
        using (var overlap = await PostAsync(officer, parent + "/split", Collection(Rect(spot, 0, 12), Rect(spot, 8, 20)), "\"v1\""))
        {
            var problem = await AssertProblemAsync(overlap, 422, "split-overlap");
            Assert.Equal(80, problem.GetProperty("overlaps")[0].GetProperty("overlapM2").GetDouble(), 1.0);
            Assert.StartsWith("POINT", problem.GetProperty("location").GetString());
        }
        // A line that does not cross the parcel.
        var miss = "{\"type\":\"LineString\",\"coordinates\":[" + Pt(spot.X - DegLon, spot.Y) + "," + Pt(spot.X - DegLon, spot.Y + 30 * DegLat) + "]}";
        using (var notCut = await PostAsync(officer, parent + "/split", miss, "\"v1\""))
            await AssertProblemAsync(notCut, 422, "invalid-property");
        // Another district's officer may not split it.
        using var stranger = service.Client(TestTokens.For("land-officer", "mazar-e-sharif:2"));
        using (var forbidden = await PostAsync(stranger, parent + "/split", Collection(Rect(spot, 0, 10), Rect(spot, 10, 20)), "\"v1\""))
            await AssertProblemAsync(forbidden, 403, "forbidden-district");
        Assert.Equal(0, await service.Db.ScalarAsync<long>(
            "SELECT count(*) FROM property_lineage l JOIN properties p ON p.id = l.parent_id WHERE p.block = '952'"));
        Assert.Equal("surveyed", await service.Db.ScalarAsync<string>("SELECT status FROM properties WHERE code = 'MZR-1-952-1'"));

        // Two polygons that cover it exactly split it.
        using var ok = await PostAsync(officer, parent + "/split", Collection(Rect(spot, 0, 10), Rect(spot, 10, 20)), "\"v1\"");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task OnlyAdjacentParcelsOfOneBlockMerge()
    {
        service.Require();
        using var officer = service.Client(Officer);
        var spot = service.FreeSpot();
        var (a, _) = await CreateAsync(officer, Square(spot, side: 10), "953", "1");
        var (b, _) = await CreateAsync(officer, Square(spot, side: 10, east: 15), "953", "2");
        var (c, _) = await CreateAsync(officer, Square(spot, side: 10, north: 10), "954", "1");
        using (var apart = await PostAsync(officer, "/api/properties/merge", $"{{\"ids\":[{a},{b}],\"parcel\":\"3\"}}", "\"v1\", \"v1\""))
            await AssertProblemAsync(apart, 422, "not-adjacent");
        using (var blocks = await PostAsync(officer, "/api/properties/merge", $"{{\"ids\":[{a},{c}],\"parcel\":\"3\"}}", "\"v1\", \"v1\""))
            await AssertProblemAsync(blocks, 422, "merge-mismatch");
        using (var bad = await PostAsync(officer, "/api/properties/merge", $"{{\"ids\":[{a}],\"parcel\":\"3\"}}", "\"v1\""))
            await AssertProblemAsync(bad, 422, "invalid-property");
        Assert.Equal(0, await service.Db.ScalarAsync<long>(
            "SELECT count(*) FROM property_lineage l JOIN properties p ON p.id = l.parent_id WHERE p.block IN ('953', '954')"));
        Assert.Equal(3, await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE block IN ('953', '954') AND status = 'surveyed' AND version = 1"));
    }

    /// <summary>A rectangle from <paramref name="west"/> to <paramref name="east"/> metres east of the spot, 20 m tall.</summary>
    private static string Rect((double X, double Y) spot, double west, double east) =>
        Polygon((spot.X + west * DegLon, spot.Y), (spot.X + east * DegLon, spot.Y), (spot.X + east * DegLon, spot.Y + 20 * DegLat),
                (spot.X + west * DegLon, spot.Y + 20 * DegLat), (spot.X + west * DegLon, spot.Y));
}
