using System.Globalization;
using System.Text.Json;
using UrbanMonitor.Domain.Tiles;

namespace UrbanMonitor.Api.Tiles;

/// <summary>
/// The optional second tier of the tile cache: tiles as files, <c>{dir}/{layers}/{z}/{x}/{y}.{mvt|png|2x.png}</c>, so a
/// restarted service does not recompute them. Invalidated like the memory tier: an edit deletes the files of the
/// tiles its boxes reach at every zoom (a whole zoom folder when that is more than a few thousand tiles); at start-up,
/// layers whose data version changed while the service was down (<c>versions.json</c>) are wiped.
/// </summary>
internal sealed class TileDiskCache(string? directory)
{
    private const int MaxTilesPerZoom = 4096;
    private readonly Lock _versionsLock = new();

    public bool Enabled { get; } = !string.IsNullOrWhiteSpace(directory);

    private string Root => directory!;

    private string PathOf(TileKey key) => Path.Combine(Root, key.Layers, key.Z.ToString(CultureInfo.InvariantCulture),
        key.X.ToString(CultureInfo.InvariantCulture), key.Y.ToString(CultureInfo.InvariantCulture) + Extension(key.Format));

    private static string Extension(TileFormat f) => f switch { TileFormat.Mvt => ".mvt", TileFormat.Png => ".png", _ => ".2x.png" };

    public byte[]? TryRead(TileKey key)
    {
        if (!Enabled) return null;
        try { return File.ReadAllBytes(PathOf(key)); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }

    /// <summary>Writes a tile atomically (a reader sees the whole file or none).</summary>
    public void Write(TileKey key, byte[] bytes)
    {
        if (!Enabled) return;
        var path = PathOf(key);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            // A full or read-only disk only costs a recomputation later.
        }
    }

    /// <summary>Deletes the tiles of every layer list holding <paramref name="layer"/> that the boxes reach (all of them
    /// when <paramref name="boxes"/> is null), and records the layer's new version.</summary>
    public void Invalidate(string layer, long version, IReadOnlyList<double[]>? boxes)
    {
        if (!Enabled) return;
        foreach (var list in ListsHolding(layer))
        {
            var listDir = Path.Combine(Root, list);
            if (boxes is null) { TryDelete(listDir); continue; }
            foreach (var b in boxes)
                for (var z = 0; z <= TileMath.MaxZoom; z++)
                {
                    var zDir = Path.Combine(listDir, z.ToString(CultureInfo.InvariantCulture));
                    if (!Directory.Exists(zDir)) continue;
                    var r = TileMath.Covering(b[0], b[1], b[2], b[3], z, TileCache.InvalidationBuffer);
                    if ((long)(r.MaxX - r.MinX + 1) * (r.MaxY - r.MinY + 1) > MaxTilesPerZoom) { TryDelete(zDir); continue; }
                    for (var x = r.MinX; x <= r.MaxX; x++)
                        for (var y = r.MinY; y <= r.MaxY; y++)
                            foreach (var format in Enum.GetValues<TileFormat>())
                                File.Delete(PathOf(new TileKey(list, z, x, y, format)));
                }
        }
        lock (_versionsLock)
        {
            var known = ReadVersions();
            known[layer] = version;
            WriteVersions(known);
        }
    }

    /// <summary>At start-up (or when listening resumes): wipes the layers whose version is not the one the files were
    /// made with; an empty <paramref name="versions"/> (nothing known) wipes everything.</summary>
    public void Reconcile(IReadOnlyDictionary<string, long> versions)
    {
        if (!Enabled) return;
        lock (_versionsLock)
        {
            var known = ReadVersions();
            if (versions.Count == 0)
            {
                foreach (var dir in Directory.Exists(Root) ? Directory.GetDirectories(Root) : []) TryDelete(dir);
            }
            else
            {
                foreach (var (layer, version) in versions)
                    if (!known.TryGetValue(layer, out var v) || v != version)
                        foreach (var list in ListsHolding(layer)) TryDelete(Path.Combine(Root, list));
            }
            WriteVersions(new Dictionary<string, long>(versions));
        }
    }

    private IEnumerable<string> ListsHolding(string layer) =>
        Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().Where(n => n.Split(',').Contains(layer)).ToArray()
            : [];

    private Dictionary<string, long> ReadVersions()
    {
        try { return JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(Path.Combine(Root, "versions.json"))) ?? []; }
        catch (Exception e) when (e is IOException or JsonException) { return []; }
    }

    private void WriteVersions(Dictionary<string, long> versions)
    {
        Directory.CreateDirectory(Root);
        var path = Path.Combine(Root, "versions.json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(versions));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
