namespace UrbanMonitor.Domain.Tiles;

/// <summary>A tile of the WebMercatorQuad / XYZ scheme: x grows east, y grows south, both in [0, 2^z).</summary>
public readonly record struct TileAddress(int Z, int X, int Y)
{
    public override string ToString() => $"{Z}/{X}/{Y}";
}

/// <summary>An inclusive range of tiles at one zoom.</summary>
public readonly record struct TileRange(int Z, int MinX, int MinY, int MaxX, int MaxY)
{
    public bool Contains(int x, int y) => x >= MinX && x <= MaxX && y >= MinY && y <= MaxY;
}

/// <summary>
/// Tile arithmetic of the Web Mercator (EPSG:3857) XYZ grid. Longitudes and latitudes are EPSG:4326 degrees;
/// latitudes beyond ±85.0511° (the edge of the square world) are clamped to it.
/// </summary>
public static class TileMath
{
    /// <summary>The highest zoom any tile URL may carry.</summary>
    public const int MaxZoom = 24;

    /// <summary>Latitude of the top and bottom edges of the Web Mercator square, degrees.</summary>
    public const double MaxLatitude = 85.05112877980659;

    /// <summary>True when z is in [0, 24] and x, y in [0, 2^z).</summary>
    public static bool IsValid(int z, int x, int y) =>
        z is >= 0 and <= MaxZoom && x >= 0 && y >= 0 && x < (1L << z) && y < (1L << z);

    /// <summary>Fractional tile x of a longitude at zoom z (0 at 180°W, 2^z at 180°E).</summary>
    public static double TileX(double lon, int z) => (Math.Clamp(lon, -180, 180) + 180.0) / 360.0 * (1L << z);

    /// <summary>Fractional tile y of a latitude at zoom z (0 at the north edge, 2^z at the south edge).</summary>
    public static double TileY(double lat, int z)
    {
        var phi = Math.Clamp(lat, -MaxLatitude, MaxLatitude) * Math.PI / 180.0;
        return (1.0 - Math.Log(Math.Tan(phi) + 1.0 / Math.Cos(phi)) / Math.PI) / 2.0 * (1L << z);
    }

    /// <summary>The tile holding a point (a point on a tile edge belongs to the tile east / south of it).</summary>
    public static TileAddress TileAt(double lon, double lat, int z)
    {
        var n = (int)Math.Min((1L << z) - 1, int.MaxValue);
        return new TileAddress(z, Math.Clamp((int)Math.Floor(TileX(lon, z)), 0, n), Math.Clamp((int)Math.Floor(TileY(lat, z)), 0, n));
    }

    /// <summary>
    /// The tiles at zoom z whose area, grown by <paramref name="buffer"/> (a fraction of the tile's width, e.g.
    /// 64/4096 for the MVT buffer), touches the box. Every tile that could draw any part of the box is included.
    /// </summary>
    public static TileRange Covering(double minLon, double minLat, double maxLon, double maxLat, int z, double buffer)
    {
        var max = (int)Math.Min((1L << z) - 1, int.MaxValue);
        // A tile (x) touches [a, b] after growing by buffer when x - buffer <= b and x + 1 + buffer >= a.
        var minX = (int)Math.Floor(TileX(minLon, z) - buffer);
        var maxX = (int)Math.Floor(TileX(maxLon, z) + buffer);
        var minY = (int)Math.Floor(TileY(maxLat, z) - buffer);
        var maxY = (int)Math.Floor(TileY(minLat, z) + buffer);
        return new TileRange(z, Math.Clamp(minX, 0, max), Math.Clamp(minY, 0, max), Math.Clamp(maxX, 0, max), Math.Clamp(maxY, 0, max));
    }

    /// <summary>Bounds of a tile in EPSG:4326 degrees: west, south, east, north.</summary>
    public static (double West, double South, double East, double North) Bounds(int z, int x, int y)
    {
        double n = 1L << z;
        static double Lat(double ty, double n) => Math.Atan(Math.Sinh(Math.PI * (1 - 2 * ty / n))) * 180.0 / Math.PI;
        return (x / n * 360.0 - 180.0, Lat(y + 1, n), (x + 1) / n * 360.0 - 180.0, Lat(y, n));
    }
}
