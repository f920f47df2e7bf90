using UrbanMonitor.Domain.Tiles;

namespace UrbanMonitor.Domain.Tests;

public class TileMathTests
{
    [Theory]
    [InlineData(0, 0, 0, true)]
    [InlineData(1, 1, 1, true)]
    [InlineData(1, 2, 0, false)]
    [InlineData(24, 16_777_215, 16_777_215, true)]
    [InlineData(25, 0, 0, false)]
    [InlineData(3, -1, 0, false)]
    public void OnlyTilesInsideTheGridOfTheirZoomAreValid(int z, int x, int y, bool valid) =>
        Assert.Equal(valid, TileMath.IsValid(z, x, y));

    [Fact]
    public void RocinhaLiesInTheKnownZoom14TileOfRio()
    {
        // Rocinha, Rio de Janeiro: 43.2479°W 22.9880°S; the XYZ tile was computed independently (Python, same formulas).
        Assert.Equal(new TileAddress(14, 6223, 9267), TileMath.TileAt(-43.2479, -22.9880, 14));
    }

    [Fact]
    public void BoundsOfTheWorldTileAreTheWebMercatorSquare()
    {
        var (w, s, e, n) = TileMath.Bounds(0, 0, 0);
        Assert.Equal(-180, w, 9);
        Assert.Equal(180, e, 9);
        Assert.Equal(TileMath.MaxLatitude, n, 9);
        Assert.Equal(-TileMath.MaxLatitude, s, 9);
    }

    [Fact]
    public void APointInsideATileIsCoveredByThatTileOnly()
    {
        var (w, s, e, n) = TileMath.Bounds(16, 44_979, 25_606);
        var (lon, lat) = ((w + e) / 2, (s + n) / 2);
        Assert.Equal(new TileRange(16, 44_979, 25_606, 44_979, 25_606), TileMath.Covering(lon, lat, lon, lat, 16, 64.0 / 4096));
    }

    [Fact]
    public void APointNearATileEdgeIsAlsoCoveredByTheNeighbourWhoseBufferReachesIt()
    {
        var (w, s, _, n) = TileMath.Bounds(16, 44_979, 25_606);
        var lon = w + (1e-3 * 360.0 / (1 << 16)); // a thousandth of a tile east of the west edge, inside the 64/4096 buffer
        var lat = (s + n) / 2;
        var range = TileMath.Covering(lon, lat, lon, lat, 16, 64.0 / 4096);
        Assert.Equal(44_978, range.MinX);
        Assert.Equal(44_979, range.MaxX);
        Assert.Equal(25_606, range.MinY);
        Assert.Equal(25_606, range.MaxY);
    }

    [Fact]
    public void LatitudesBeyondTheWebMercatorEdgeAreClampedToTheOuterRows()
    {
        Assert.Equal(new TileAddress(2, 2, 0), TileMath.TileAt(10, 89.9, 2));
        Assert.Equal(new TileAddress(2, 2, 3), TileMath.TileAt(10, -89.9, 2));
    }
}
