using System.IO.Compression;
using System.Text;
using NetTopologySuite.Features;
using NetTopologySuite.IO.Esri;
using NetTopologySuite.IO.Esri.Shapefiles.Readers;

namespace UrbanMonitor.Database.Imports;

/// <summary>A zipped Shapefile (.shp, .shx, .dbf, .prj; .cpg for the encoding), extracted to a temporary folder and
/// read record by record. The CRS comes from the .prj (any EPSG code PostGIS knows).</summary>
public sealed class ShapefileZipSource : FeatureSource
{
    private readonly string _folder;
    private readonly string _shp;

    private ShapefileZipSource(string folder, string shp, string? prj)
    {
        _folder = folder;
        _shp = shp;
        CrsText = prj;
    }

    public override string Format => "shapefile";

    public static ShapefileZipSource Open(ZipArchive zip)
    {
        var shpEntries = zip.Entries.Where(e => e.FullName.EndsWith(".shp", StringComparison.OrdinalIgnoreCase)).ToList();
        if (shpEntries.Count != 1)
            throw new ImportRejectedException(shpEntries.Count == 0 ? "The zip holds no .shp file." : $"The zip holds {shpEntries.Count} .shp files; upload one layer per zip.");
        var stem = shpEntries[0].FullName[..^4];
        ZipArchiveEntry? Part(string ext) => zip.Entries.FirstOrDefault(e => e.FullName.Equals(stem + ext, StringComparison.OrdinalIgnoreCase));
        var missing = new[] { ".shx", ".dbf" }.Where(ext => Part(ext) is null).ToList();
        if (missing.Count > 0) throw new ImportRejectedException($"The shapefile {Path.GetFileName(stem)} is incomplete: {string.Join(" and ", missing)} missing from the zip.");

        var folder = Directory.CreateTempSubdirectory("um-shp-").FullName;
        try
        {
            foreach (var ext in new[] { ".shp", ".shx", ".dbf", ".prj", ".cpg" })
                Part(ext)?.ExtractToFile(Path.Combine(folder, "layer" + ext));
            var prjPath = Path.Combine(folder, "layer.prj");
            var prj = File.Exists(prjPath) ? File.ReadAllText(prjPath).Trim() : null;
            var source = new ShapefileZipSource(folder, Path.Combine(folder, "layer.shp"), prj);
            using (var probe = source.OpenReader()) { _ = probe.RecordCount; }
            return source;
        }
        catch (Exception e) when (e is ShapefileException or InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            Directory.Delete(folder, true);
            throw new ImportRejectedException($"The shapefile cannot be read: {e.Message}");
        }
    }

    private ShapefileReader OpenReader()
    {
        var options = new ShapefileReaderOptions { Factory = Factory };
        var cpg = Path.Combine(_folder, "layer.cpg");
        if (File.Exists(cpg) && File.ReadAllText(cpg).Trim().ToUpperInvariant() is "UTF-8" or "UTF8" or "65001")
            options.Encoding = Encoding.UTF8;
        return Shapefile.OpenRead(_shp, options);
    }

    public override IEnumerable<SourceFeature> ReadFeatures(CancellationToken ct)
    {
        using var reader = OpenReader();
        long index = 0;
        var json = new PropertiesJson();
        while (reader.Read(out var deleted, out Feature feature))
        {
            ct.ThrowIfCancellationRequested();
            if (deleted) continue;
            var props = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var name in feature.Attributes.GetNames()) props[name] = feature.Attributes[name];
            var geometry = feature.Geometry is { IsEmpty: false } g ? g : null;
            yield return new SourceFeature(index++, json.Write(props), geometry, geometry is null ? "the record has a null shape" : null);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }
}
