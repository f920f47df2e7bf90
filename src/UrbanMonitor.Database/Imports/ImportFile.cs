using System.IO.Compression;
using System.Text;

namespace UrbanMonitor.Database.Imports;

/// <summary>Recognises an upload by its content (not its name) and opens it, or refuses it with the reason.</summary>
public static class ImportFile
{
    public static FeatureSource Open(string path, string? fileName = null)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length == 0) throw new ImportRejectedException("The upload is empty.", 400, "unreadable-upload");
        Span<byte> head = stackalloc byte[16];
        int n;
        using (var f = File.OpenRead(path)) n = f.Read(head);
        head = head[..n];

        if (head.StartsWith("PK\x03\x04"u8)) return OpenZip(path);
        if (head.StartsWith("PK"u8)) throw new ImportRejectedException("The zip archive is broken or empty.");
        if (head.StartsWith("SQLite format 3\0"u8)) return GeoPackageSource.Open(path);

        var text = head.StartsWith("\xEF\xBB\xBF"u8) ? head[3..] : head;
        var first = Encoding.UTF8.GetString(text).TrimStart();
        if (first.StartsWith('{')) return GeoJsonSource.Open(path);
        if (first.StartsWith('[')) throw new ImportRejectedException("The JSON is an array, not a GeoJSON FeatureCollection.");
        if (head.Contains((byte)0)) throw new ImportRejectedException(
            $"The upload ({fileName ?? "file"}) is not a format this service reads: GeoJSON, GeoPackage, zipped Shapefile, CSV with WKT or a GTFS zip.", 415, "unsupported-format");
        return CsvWktSource.Open(path);
    }

    private static FeatureSource OpenZip(string path)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
            _ = zip.Entries.Count;
        }
        catch (InvalidDataException e)
        {
            throw new ImportRejectedException($"The zip archive is broken: {e.Message}");
        }
        using (zip)
        {
            if (zip.Entries.Any(e => e.FullName.EndsWith(".shp", StringComparison.OrdinalIgnoreCase)))
                return ShapefileZipSource.Open(zip);
            if (zip.Entries.Any(e => e.Name.Equals("stops.txt", StringComparison.OrdinalIgnoreCase)))
                return GtfsSource.Open(path, zip);
            throw new ImportRejectedException("The zip holds neither a shapefile (.shp with .shx and .dbf) nor a GTFS feed (stops.txt).", 415, "unsupported-format");
        }
    }
}
