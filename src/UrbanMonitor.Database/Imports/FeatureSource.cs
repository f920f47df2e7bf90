using NetTopologySuite.Geometries;

namespace UrbanMonitor.Database.Imports;

/// <summary>One feature read from a file: its position (0-based), attributes as a JSON object text, and its
/// geometry in the file's CRS, or a parse error instead.</summary>
public sealed record SourceFeature(long Index, string PropertiesJson, NetTopologySuite.Geometries.Geometry? Geometry, string? ParseError = null)
{
    /// <summary>The geometry as EWKB already checked to be well-formed (see <see cref="GeoPackageWkb"/>), copied as is
    /// instead of <see cref="Geometry"/>; its SRID is written by the import.</summary>
    public byte[]? Ewkb { get; init; }
}

/// <summary>An opened, readable upload. Features are read lazily, one at a time, so any file size fits in bounded memory.</summary>
public abstract class FeatureSource : IDisposable
{
    /// <summary><c>geojson</c>, <c>gpkg</c>, <c>shapefile</c>, <c>csv</c> or <c>gtfs</c>.</summary>
    public abstract string Format { get; }

    /// <summary>The CRS the file declares (EPSG code), or null when it declares none.</summary>
    public int? DeclaredSrid { get; protected set; }

    /// <summary>The CRS text the file carries (a .prj, a GeoPackage definition), for resolving and for messages.</summary>
    public string? CrsText { get; protected set; }

    /// <summary>The CRS assumed when the file declares none (RFC 7946 GeoJSON and GTFS are EPSG:4326).</summary>
    public virtual int? DefaultSrid => null;

    public abstract IEnumerable<SourceFeature> ReadFeatures(CancellationToken ct);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }

    internal static readonly GeometryFactory Factory = new(new PrecisionModel(), 0);
}

/// <summary>An upload that cannot be read at all: refused at once with a 4xx (415 unknown format, 422 otherwise).</summary>
public sealed class ImportRejectedException(string reason, int status = 422, string kind = "unreadable-upload") : Exception(reason)
{
    public int Status { get; } = status;

    /// <summary>Stable problem kind: unreadable-upload, unsupported-format, unknown-crs, unknown-layer.</summary>
    public string Kind { get; } = kind;
}
