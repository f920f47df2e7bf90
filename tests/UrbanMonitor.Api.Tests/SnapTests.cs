using System.Net;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Vertex snapping to active neighbours on registration and edits (<c>?snap=</c>, 0.2 m by default).</summary>
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
}
