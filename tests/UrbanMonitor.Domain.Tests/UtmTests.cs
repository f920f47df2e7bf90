using NetTopologySuite.IO;
using UrbanMonitor.Domain.Geometry;

namespace UrbanMonitor.Domain.Tests;

public class UtmTests
{
    [Fact]
    public void TheCentralMeridianOfZone42IsAt69DegreesEast()
    {
        var c = new Utm(42, north: true).ToLonLat(500_000, 0);
        Assert.Equal(69.0, c.X, 6);
        Assert.Equal(0.0, c.Y, 6);
    }

    [Fact]
    public void AKnownMazarPointTransformsToWithinACentimetre()
    {
        // EPSG:32642 → EPSG:4326 reference computed with PROJ (cs2cs) for a point in Mazar-e-Sharif.
        var c = new Utm(42, north: true).ToLonLat(420_000, 4_062_000);
        Assert.Equal(68.1043951, c.X, 6);
        Assert.Equal(36.7002982, c.Y, 6);
    }

    [Fact]
    public void GeometriesAreCopiedToEpsg4326AndTheInputIsLeftAlone()
    {
        var input = new WKTReader().Read("POLYGON ((500000 0, 500100 0, 500100 100, 500000 100, 500000 0))");
        var output = new Utm(42, true).ToWgs84(input);
        Assert.Equal(4326, output.SRID);
        Assert.Equal(500_000, input.Coordinates[0].X);
        Assert.Equal(69.0, output.Coordinates[0].X, 6);
        Assert.True(output.IsValid);
    }

    [Fact]
    public void ZonesOutside1To60AreRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Utm(61, true));

    [Fact]
    public void TheEpsgCodeFollowsZoneAndHemisphere()
    {
        Assert.Equal(32642, new Utm(42, true).Epsg);
        Assert.Equal(32723, new Utm(23, false).Epsg);
    }
}
