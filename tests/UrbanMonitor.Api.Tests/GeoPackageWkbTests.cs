using NetTopologySuite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using UrbanMonitor.Database.Imports;

namespace UrbanMonitor.Api.Tests;

/// <summary>The GeoPackage fast path: well-formed blobs become EWKB byte for byte, anything else is left to the NTS reader.</summary>
public class GeoPackageWkbTests
{
    private static byte[] Blob(string wkt) => new GeoPackageGeoWriter().Write(new WKTReader().Read(wkt));

    [Theory]
    [InlineData("POLYGON ((67.1 36.7, 67.2 36.7, 67.2 36.8, 67.1 36.7))")]
    [InlineData("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))")]
    [InlineData("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))")]
    [InlineData("POLYGON Z ((0 0 1, 1 0 2, 1 1 3, 0 0 1))")]
    [InlineData("LINESTRING (0 0, 1 1, 2 0)")]
    [InlineData("POINT (67.1 36.7)")]
    [InlineData("GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 1 1))")]
    public void AWellFormedBlobBecomesEwkbOfTheSameGeometryWithTheJobsSrid(string wkt)
    {
        var ewkb = GeoPackageWkb.ToEwkb(Blob(wkt));
        Assert.NotNull(ewkb);
        GeoPackageWkb.SetSrid(ewkb, 32642);
        var read = new WKBReader(new NtsGeometryServices(new PrecisionModel(), 0)) { HandleSRID = true, HandleOrdinates = Ordinates.XYZ }.Read(ewkb);
        Assert.Equal(32642, read.SRID);
        Assert.True(read.EqualsExact(new WKTReader().Read(wkt)), read.AsText());
        Assert.Equal(new WKTReader().Read(wkt).Coordinates.Select(c => c.Z).Where(z => !double.IsNaN(z)), read.Coordinates.Select(c => c.Z).Where(z => !double.IsNaN(z)));
    }

    [Fact]
    public void EmptyTruncatedUnclosedOrForeignBlobsAreLeftToTheReader()
    {
        Assert.Null(GeoPackageWkb.ToEwkb(Blob("POLYGON EMPTY")));
        Assert.Null(GeoPackageWkb.ToEwkb(Blob("POINT EMPTY")));
        var polygon = Blob("POLYGON ((0 0, 1 0, 1 1, 0 0))");
        Assert.Null(GeoPackageWkb.ToEwkb(polygon[..^8]));            // cut short
        Assert.Null(GeoPackageWkb.ToEwkb([.. polygon, 0]));          // a byte too many
        var unclosed = (byte[])polygon.Clone();
        unclosed[^1] ^= 0x01;                                         // the last point no longer equals the first
        Assert.Null(GeoPackageWkb.ToEwkb(unclosed));
        var extended = (byte[])polygon.Clone();
        extended[3] |= 0x20;                                          // GeoPackage extended geometry type
        Assert.Null(GeoPackageWkb.ToEwkb(extended));
        Assert.Null(GeoPackageWkb.ToEwkb("not a geopackage blob"u8));
    }
}
