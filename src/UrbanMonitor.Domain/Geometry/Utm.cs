using NetTopologySuite.Geometries;
using ProjNet.CoordinateSystems;
using ProjNet.CoordinateSystems.Transformations;

namespace UrbanMonitor.Domain.Geometry;

/// <summary>
/// Transforms between a WGS 84 / UTM zone (EPSG:326zz north, 327zz south) and WGS 84 longitude/latitude (EPSG:4326),
/// with ProjNet. Used where geometry is built in metres and stored in degrees.
/// </summary>
public sealed class Utm
{
    private readonly MathTransform _toWgs84;

    public Utm(int zone, bool north)
    {
        if (zone is < 1 or > 60) throw new ArgumentOutOfRangeException(nameof(zone), zone, "UTM zones run from 1 to 60.");
        Zone = zone;
        North = north;
        var factory = new CoordinateTransformationFactory();
        _toWgs84 = factory.CreateFromCoordinateSystems(
            ProjectedCoordinateSystem.WGS84_UTM(zone, north), GeographicCoordinateSystem.WGS84).MathTransform;
    }

    public int Zone { get; }
    public bool North { get; }

    /// <summary>Whether <paramref name="epsg"/> is a WGS 84 / UTM zone (EPSG:32601–32660 north, 32701–32760 south).</summary>
    public static bool IsUtmEpsg(int epsg) => epsg is (>= 32601 and <= 32660) or (>= 32701 and <= 32760);

    /// <summary>EPSG code of this zone, e.g. 32642 for zone 42 north.</summary>
    public int Epsg => (North ? 32600 : 32700) + Zone;

    /// <summary>Longitude/latitude of an easting/northing in metres, rounded to 1e-7 degrees (about 1 cm).</summary>
    public Coordinate ToLonLat(double easting, double northing)
    {
        var (lon, lat) = _toWgs84.Transform(easting, northing);
        return new Coordinate(Math.Round(lon, 7), Math.Round(lat, 7));
    }

    /// <summary>A copy of <paramref name="geometry"/> (in this zone's metres) in EPSG:4326.</summary>
    public T ToWgs84<T>(T geometry) where T : NetTopologySuite.Geometries.Geometry
    {
        var copy = (T)geometry.Copy();
        copy.Apply(new TransformFilter(this));
        copy.SRID = 4326;
        copy.GeometryChanged();
        return copy;
    }

    private sealed class TransformFilter(Utm utm) : IEntireCoordinateSequenceFilter
    {
        public bool Done => false;
        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq)
        {
            for (var i = 0; i < seq.Count; i++)
            {
                var c = utm.ToLonLat(seq.GetX(i), seq.GetY(i));
                seq.SetX(i, c.X);
                seq.SetY(i, c.Y);
            }
        }
    }
}
