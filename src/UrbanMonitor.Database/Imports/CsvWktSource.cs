using CsvHelper;
using NetTopologySuite.IO;

namespace UrbanMonitor.Database.Imports;

/// <summary>CSV with a WKT geometry column (<c>wkt</c>, <c>geometry</c>, <c>geom</c> or <c>the_geom</c>); every other
/// column becomes a text attribute. The CRS comes from the job (<c>crs</c>), else EPSG:4326.</summary>
public sealed class CsvWktSource : FeatureSource
{
    private static readonly string[] GeometryColumns = ["wkt", "geometry", "geom", "the_geom", "shape"];
    private readonly string _path;
    private readonly string _geometryColumn;

    private CsvWktSource(string path, string geometryColumn)
    {
        _path = path;
        _geometryColumn = geometryColumn;
    }

    public override string Format => "csv";
    public override int? DefaultSrid => 4326;

    public static CsvWktSource Open(string path)
    {
        using var reader = new StreamReader(path);
        using var csv = CsvReader.Create(reader, new CsvReaderOptions { HasHeader = true }, false);
        var headers = csv.Headers.ToArray();
        if (headers.Length == 0) throw new ImportRejectedException("The CSV file is empty: it needs a header row with a WKT column.");
        var geometry = headers.FirstOrDefault(h => GeometryColumns.Contains(h.Trim(), StringComparer.OrdinalIgnoreCase))
            ?? throw new ImportRejectedException($"The CSV has no geometry column: name one of {string.Join(", ", GeometryColumns)} (WKT). Its columns are: {string.Join(", ", headers)}.");
        return new CsvWktSource(path, geometry);
    }

    public override IEnumerable<SourceFeature> ReadFeatures(CancellationToken ct)
    {
        using var reader = new StreamReader(_path);
        using var csv = CsvReader.Create(reader, new CsvReaderOptions { HasHeader = true }, false);
        var headers = csv.Headers.ToArray();
        var wkt = new WKTReader(Factory.GeometryServices) { IsOldNtsCoordinateSyntaxAllowed = false };
        long index = 0;
        var json = new PropertiesJson();
        while (csv.Read())
        {
            ct.ThrowIfCancellationRequested();
            var props = new Dictionary<string, string?>(StringComparer.Ordinal);
            string? text = null;
            foreach (var h in headers)
            {
                var value = csv.GetString(h);
                if (h == _geometryColumn) text = value;
                else props[h.Trim()] = value.Length == 0 ? null : value;
            }
            NetTopologySuite.Geometries.Geometry? geometry = null;
            string? error = null;
            if (string.IsNullOrWhiteSpace(text)) error = $"row {index + 2}: the {_geometryColumn} column is empty";
            else
            {
                try { geometry = wkt.Read(text); }
                catch (Exception e) when (e is ParseException or ArgumentException or FormatException)
                {
                    error = $"row {index + 2}: the WKT cannot be read: {e.Message}";
                }
            }
            yield return new SourceFeature(index++, json.Write(props), geometry, error);
        }
    }
}
