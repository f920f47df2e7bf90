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
        if (!LooksLikeText(path)) throw new ImportRejectedException(
            $"The upload ({fileName ?? "file"}) is not a format this service reads: GeoJSON, GeoPackage, zipped Shapefile, CSV with WKT or a GTFS zip.", 415, "unsupported-format");
        return CsvWktSource.Open(path);
    }

    // A CSV starts with a line of UTF-8 text: no NUL or other control bytes (tab, CR, LF aside), no invalid UTF-8.
    private static bool LooksLikeText(string path)
    {
        var buffer = new byte[4096];
        int n;
        using (var f = File.OpenRead(path)) n = f.Read(buffer);
        var end = Array.IndexOf(buffer, (byte)'\n', 0, n);
        var line = buffer.AsSpan(0, end < 0 ? n : end);
        if (line.IndexOfAnyInRange((byte)0, (byte)8) >= 0 || line.IndexOfAnyInRange((byte)14, (byte)31) >= 0 || line.Contains((byte)11) || line.Contains((byte)12))
            return false;
        // A line cut at the buffer's end may end inside a character: that is not invalid.
        var status = System.Text.Unicode.Utf8.ToUtf16(line, new char[line.Length], out _, out _, replaceInvalidSequences: false,
            isFinalBlock: end >= 0 || n < buffer.Length);
        return status != System.Buffers.OperationStatus.InvalidData;
    }

    /// <summary>Most entries, most bytes after expansion, and the highest expansion ratio of a big entry that an
    /// uploaded archive may have: real shapefiles and GTFS feeds stay far below; zip bombs do not.</summary>
    public const int MaxZipEntries = 10_000;
    public const long MaxExpandedBytes = 32L << 30;
    public const int MaxExpansionRatio = 200;

    private static void CheckArchive(ZipArchive zip)
    {
        if (zip.Entries.Count > MaxZipEntries)
            throw new ImportRejectedException($"The zip holds {zip.Entries.Count:N0} entries; at most {MaxZipEntries:N0}.", 422, "zip-refused");
        long total = 0;
        foreach (var e in zip.Entries)
        {
            var name = e.FullName.Replace('\\', '/');
            if (name.StartsWith('/') || name.Contains(':', StringComparison.Ordinal) || name.Split('/').Any(part => part == ".."))
                throw new ImportRejectedException($"The zip entry '{e.FullName}' points outside the archive (absolute path or '..'); such archives are refused.", 422, "zip-refused");
            total += e.Length;
            if (e.Length > (16L << 20) && e.Length / Math.Max(1, e.CompressedLength) > MaxExpansionRatio)
                throw new ImportRejectedException(
                    $"The zip entry '{e.FullName}' expands {e.Length / Math.Max(1, e.CompressedLength):N0} times ({e.CompressedLength:N0} → {e.Length:N0} bytes); more than {MaxExpansionRatio} times is refused as a zip bomb.", 422, "zip-refused");
        }
        if (total > MaxExpandedBytes)
            throw new ImportRejectedException($"The zip expands to {total:N0} bytes; at most {MaxExpandedBytes:N0}.", 422, "zip-refused");
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
            CheckArchive(zip);
            if (zip.Entries.Any(e => e.FullName.EndsWith(".shp", StringComparison.OrdinalIgnoreCase)))
                return ShapefileZipSource.Open(zip);
            if (zip.Entries.Any(e => e.Name.Equals("stops.txt", StringComparison.OrdinalIgnoreCase)))
                return GtfsSource.Open(path, zip);
            throw new ImportRejectedException("The zip holds neither a shapefile (.shp with .shx and .dbf) nor a GTFS feed (stops.txt).", 415, "unsupported-format");
        }
    }
}
