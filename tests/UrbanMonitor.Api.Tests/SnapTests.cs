using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Vertex snapping to active neighbours on registration and edits (<c>?snap=</c>, 0.2 m by default), and the
/// source documents kept on every version.</summary>
public class SnapTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The gap in metres between two parcels, measured in their UTM zone.</summary>
    private Task<double> GapAsync(string a, string b) => service.Db.ScalarAsync<double>($"""
        SELECT ST_Distance(ST_Transform(x.geom, um_utm_srid(x.geom)), ST_Transform(y.geom, um_utm_srid(x.geom)))
        FROM properties x, properties y WHERE x.code = '{a}' AND y.code = '{b}'
        """);

    [Fact]
    public async Task AParcelDrawn10CentimetresOffItsNeighbourSnapsOntoItsEdgeUnlessSnapIsZero()
    {
        service.Require();
        using var officer = service.Client(Officer);
        var spot = service.FreeSpot();
        using (var neighbour = await officer.PostAsync("/api/properties", Feature(Square(spot), "1", "961", "1"), Ct))
            Assert.Equal(HttpStatusCode.Created, neighbour.StatusCode);

        // East of it with a 0.1 m gap: snapped by default.
        using var east = await officer.PostAsync("/api/properties", Feature(Square(spot, east: 15.1), "1", "961", "2"), Ct);
        var body = await JsonAsync(east);
        Assert.Equal(HttpStatusCode.Created, east.StatusCode);
        var snap = body.GetProperty("snap");
        Assert.True(snap.GetProperty("snapped").GetBoolean());
        Assert.Equal(0.2, snap.GetProperty("toleranceM").GetDouble());
        Assert.Equal("MZR-1-961-1", snap.GetProperty("neighbours")[0].GetString());
        Assert.Equal(0.1, snap.GetProperty("maxShiftM").GetDouble(), 0.02);
        Assert.True(await GapAsync("MZR-1-961-1", "MZR-1-961-2") < 0.001);
        // Its west edge moved 0.1 m west onto the neighbour's: 15.1 m × 15 m.
        Assert.Equal(226.5, body.GetProperty("properties").GetProperty("areaM2").GetDouble(), 0.5);

        // North of it with the same gap and ?snap=0: kept as drawn.
        using var north = await officer.PostAsync("/api/properties?snap=0", Feature(Square(spot, north: 15.1), "1", "961", "3"), Ct);
        var northBody = await JsonAsync(north);
        Assert.Equal(HttpStatusCode.Created, north.StatusCode);
        Assert.False(northBody.TryGetProperty("snap", out _));
        Assert.Equal(0.1, await GapAsync("MZR-1-961-1", "MZR-1-961-3"), 0.01);

        // An edit may snap too: the same parcel redrawn 0.1 m off again, now with the default.
        using var edited = await PutAsync(officer, north.Headers.Location!.ToString(),
            Feature(Square(spot, north: 15.1), "1", "961", "3", reason: "redrawn"), "\"v1\"");
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.True((await JsonAsync(edited)).GetProperty("snap").GetProperty("snapped").GetBoolean());
        Assert.True(await GapAsync("MZR-1-961-1", "MZR-1-961-3") < 0.001);

        // Farther than the tolerance: nothing snaps.
        using var far = await officer.PostAsync("/api/properties?snap=0.05", Feature(Square(spot, east: -15.1), "1", "961", "4"), Ct);
        Assert.Equal(HttpStatusCode.Created, far.StatusCode);
        Assert.False((await JsonAsync(far)).TryGetProperty("snap", out _));

        using var bad = await officer.PostAsync("/api/properties?snap=-1", Feature(Square(service.FreeSpot()), "1", "961", "5"), Ct);
        await AssertProblemAsync(bad, 400, "invalid-parameter");
    }

    private static async Task<StringContent> WithSources(StringContent feature, object sources)
    {
        var node = JsonNode.Parse(await feature.ReadAsStringAsync(Ct))!;
        node["properties"]!["sources"] = JsonSerializer.SerializeToNode(sources);
        return new StringContent(node.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/geo+json"));
    }

    [Fact]
    public async Task SourceDocumentsAreKeptOnEveryVersionAndShownOnlyToStaff()
    {
        service.Require();
        using var officer = service.Client(Officer);
        var spot = service.FreeSpot();
        var qabala = new[] { new { kind = "qabala", reference = "QB-1402-5531", date = "2023-06-14" }, new { kind = "survey-record", reference = "SR-77/12", date = "2024-01-09" } };
        using var created = await officer.PostAsync("/api/properties", await WithSources(Feature(Square(spot), "1", "962", "1"), qabala), Ct);
        var body = await JsonAsync(created);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("QB-1402-5531", body.GetProperty("properties").GetProperty("sources")[0].GetProperty("reference").GetString());
        var location = created.Headers.Location!.ToString();

        var deed = new[] { new { kind = "deed", reference = "D-2025-001", date = "2025-02-01" } };
        using var edited = await PutAsync(officer, location, await WithSources(Feature(Square(spot), "1", "962", "1", reason: "sold"), deed), "\"v1\"");
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var history = await JsonAsync(await officer.GetAsync(location + "/history", Ct));
        Assert.Equal(["QB-1402-5531", "D-2025-001"],
            history.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("sources")[0].GetProperty("reference").GetString()));

        using var anonymous = service.Client();
        var publicRead = await anonymous.GetStringAsync(location, Ct);
        var publicHistory = await anonymous.GetStringAsync(location + "/history", Ct);
        Assert.Contains("MZR-1-962-1", publicRead);
        foreach (var secret in new[] { "QB-1402", "D-2025-001", "SR-77" })
        {
            Assert.DoesNotContain(secret, publicRead);
            Assert.DoesNotContain(secret, publicHistory);
        }

        using var bad = await officer.PostAsync("/api/properties",
            await WithSources(Feature(Square(service.FreeSpot()), "1", "962", "2"), new[] { new { kind = "rumour", reference = "x", date = "2024-01-01" } }), Ct);
        await AssertProblemAsync(bad, 422, "invalid-property");
    }
}
