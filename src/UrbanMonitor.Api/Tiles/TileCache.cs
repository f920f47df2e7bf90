using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using UrbanMonitor.Domain.Tiles;

namespace UrbanMonitor.Api.Tiles;

/// <summary>Which representation of a tile: a vector tile or a raster tile of 256 or 512 pixels.</summary>
public enum TileFormat { Mvt, Png, Png2x }

/// <summary>A tile of one or more layers (<see cref="Layers"/> as in the URL, e.g. <c>properties,settlements</c>).</summary>
public sealed record TileKey(string Layers, int Z, int X, int Y, TileFormat Format)
{
    public string[] LayerIds { get; } = Layers.Split(',');

    // Equality is the tile's address; LayerIds is derived from Layers (and an array compares by reference).
    public bool Equals(TileKey? other) =>
        other is not null && Z == other.Z && X == other.X && Y == other.Y && Format == other.Format && Layers == other.Layers;

    public override int GetHashCode() => HashCode.Combine(Layers, Z, X, Y, Format);
}

/// <summary>Bytes of a tile with their strong ETag (a hash of the bytes) and, for MVT, a gzip copy made at most once.</summary>
public sealed class TileEntry
{
    private byte[]? _gzip;

    public TileEntry(byte[] bytes)
    {
        Bytes = bytes;
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        Hash = Convert.ToHexStringLower(hash[..16]);
    }

    public byte[] Bytes { get; }

    /// <summary>Hex of the first 128 bits of the SHA-256 of the bytes: equal bytes, equal ETag, across versions.</summary>
    public string Hash { get; }

    public string ETag => "\"" + Hash + "\"";

    /// <summary>The ETag of the gzip representation (a different representation needs a different strong ETag).</summary>
    public string GzipETag => "\"" + Hash + "-gz\"";

    internal long LastUsed;

    /// <summary>Bytes this entry is counted for in the cache's total.</summary>
    internal long Accounted;

    /// <summary>The gzip-compressed bytes, compressed once on first use.</summary>
    public byte[] Gzip
    {
        get
        {
            if (_gzip is { } done) return done;
            using var output = new MemoryStream(Bytes.Length / 2 + 64);
            using (var gz = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(Bytes);
            var compressed = output.ToArray();
            return Interlocked.CompareExchange(ref _gzip, compressed, null) ?? compressed;
        }
    }

    public bool HasGzip => _gzip is not null;

    public long Size => Bytes.Length + (_gzip?.Length ?? 0) + 200;
}

/// <summary>Size limit of the in-memory tile cache.</summary>
public sealed class TilesOptions
{
    /// <summary>Upper bound of the tile cache, megabytes of tile bytes (gzip copies included). 0 disables it.</summary>
    public int CacheMegabytes { get; set; } = 128;

    /// <summary>Folder of the style files (<c>{layer}.json</c>); empty: <c>tiles/styles</c> beside the service.</summary>
    public string StylesDirectory { get; set; } = "";

    /// <summary>Folder of the optional disk cache (./run.sh: <c>tiles/cache</c>); empty: no disk cache.</summary>
    public string DiskCacheDirectory { get; set; } = "";
}

/// <summary>
/// The in-memory tile cache, bounded in bytes (least recently used tiles go first). It only serves while the
/// invalidation listener is connected: a tile whose data an edit changed is evicted when the NOTIFY arrives, at every
/// zoom, and a tile computed while an edit of its layer was being announced is not stored.
/// </summary>
public sealed class TileCache(IOptions<TilesOptions> options)
{
    /// <summary>How far beyond a tile's edge (fraction of its width) its content can reach: the raster margin
    /// (16 of 256 pixels) is the widest of the tile queries.</summary>
    public const double InvalidationBuffer = 1.0 / 16;

    private readonly ConcurrentDictionary<TileKey, TileEntry> _entries = new();
    private readonly ConcurrentDictionary<TileKey, Task<TileEntry>> _inflight = new();
    // For each layer, the layer lists (as in URLs) that cached tiles hold it in: lets an edit probe tile addresses.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _lists = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _generations = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();
    private readonly long _maxBytes = options.Value.CacheMegabytes * 1024L * 1024L;
    private readonly TileDiskCache _disk = new(options.Value.DiskCacheDirectory);
    private long _bytes;
    private long _clock;
    private volatile bool _enabled;

    /// <summary>True while edits are being heard (the listener is connected); otherwise nothing is cached.</summary>
    public bool Enabled => _enabled;

    public int Count => _entries.Count;

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The layer's data version as last heard from the database; 0 when not known yet.</summary>
    public long VersionOf(string layer) => _versions.TryGetValue(layer, out var v) ? v : 0;

    public bool Contains(TileKey key) => _entries.ContainsKey(key);

    public TileEntry? Get(TileKey key)
    {
        if (!_enabled || !_entries.TryGetValue(key, out var entry)) return null;
        entry.LastUsed = Interlocked.Increment(ref _clock);
        return entry;
    }

    /// <summary>
    /// The cached tile, or the one <paramref name="compute"/> makes. Concurrent requests for the same missing tile share
    /// one computation (it is not cancelled by any one of them); an edit of its layers detaches it, so requests after
    /// the edit compute afresh.
    /// </summary>
    public async Task<TileEntry> GetOrAddAsync(TileKey key, Func<Task<byte[]>> compute)
    {
        if (Get(key) is { } hit) return hit;
        var generations = Generations(key.LayerIds);
        var mine = new TaskCompletionSource<TileEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = _inflight.GetOrAdd(key, mine.Task);
        if (running != mine.Task) return await running;
        try
        {
            var stored = _enabled ? _disk.TryRead(key) : null;
            var entry = new TileEntry(stored ?? await compute());
            if (stored is null && _enabled && Generations(key.LayerIds).SequenceEqual(generations)) _disk.Write(key, entry.Bytes);
            Put(key, entry, generations);
            mine.SetResult(entry);
            return entry;
        }
        catch (Exception) when (!_enabled && Last(key) is { } last)
        {
            // The database cannot be asked (the listener lost it too): the last tile known is served until it is back.
            mine.SetResult(last);
            return last;
        }
        catch (Exception e)
        {
            mine.SetException(e);
            _ = mine.Task.Exception; // observed here; waiting requests rethrow it
            throw;
        }
        finally
        {
            _inflight.TryRemove(KeyValuePair.Create(key, mine.Task));
        }
    }

    /// <summary>A token to pass to <see cref="Put"/>: taken before reading the database.</summary>
    public long[] Generations(string[] layers) => layers.Select(l => _generations.GetValueOrDefault(l)).ToArray();

    /// <summary>Stores a tile unless one of its layers changed since <paramref name="generations"/> were taken.</summary>
    public void Put(TileKey key, TileEntry entry, long[] generations)
    {
        if (!_enabled || _maxBytes <= 0 || !Generations(key.LayerIds).SequenceEqual(generations)) return;
        entry.LastUsed = Interlocked.Increment(ref _clock);
        foreach (var layer in key.LayerIds)
            _lists.GetOrAdd(layer, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal)).TryAdd(key.Layers, 0);
        if (_entries.TryAdd(key, entry))
        {
            var size = entry.Size;
            Interlocked.Exchange(ref entry.Accounted, size);
            Interlocked.Add(ref _bytes, size);
        }
        // A layer may have changed between the check and the add: check again and drop it then.
        if (!Generations(key.LayerIds).SequenceEqual(generations)) Remove(key);
        if (Interlocked.Read(ref _bytes) > _maxBytes) Evict();
    }

    /// <summary>Accounts for a gzip copy made after the entry was stored.</summary>
    public void Recount(TileEntry entry)
    {
        if (Interlocked.Read(ref entry.Accounted) == 0) return; // not in the cache
        var size = entry.Size;
        var before = Interlocked.Exchange(ref entry.Accounted, size);
        if (before != 0) Interlocked.Add(ref _bytes, size - before);
    }

    /// <summary>Starts caching with the database's versions (after LISTEN, so no edit is missed in between).</summary>
    public void Enable(IReadOnlyDictionary<string, long> versions)
    {
        Clear();
        _disk.Reconcile(versions);
        foreach (var (layer, version) in versions) _versions[layer] = version;
        _enabled = true;
    }

    /// <summary>Stops caching (the listener lost its connection: edits may go unheard). What is cached stays only as the
    /// last known tiles, served when the database cannot be reached (see <see cref="GetOrAddAsync"/>); reconnecting
    /// (<see cref="Enable"/>) forgets it.</summary>
    public void Disable() => _enabled = false;

    // The last tile known for a key while caching is off: from memory, else from the disk cache.
    private TileEntry? Last(TileKey key) =>
        _entries.TryGetValue(key, out var entry) ? entry : _disk.TryRead(key) is { } bytes ? new TileEntry(bytes) : null;

    /// <summary>
    /// An edit of <paramref name="layer"/> committed: bumps its version and evicts the tiles, at every zoom, that the
    /// boxes (EPSG:4326 degrees: minLon, minLat, maxLon, maxLat) reach; null boxes mean the whole layer.
    /// Returns how many tiles were evicted.
    /// </summary>
    public int Invalidate(string layer, long version, IReadOnlyList<double[]>? boxes)
    {
        _generations.AddOrUpdate(layer, 1, (_, g) => g + 1);
        foreach (var (key, task) in _inflight)
            if (Array.IndexOf(key.LayerIds, layer) >= 0) _inflight.TryRemove(KeyValuePair.Create(key, task));
        var evicted = boxes is not null && TryProbe(layer, boxes, out var probed) ? probed : Scan(layer, boxes);
        _disk.Invalidate(layer, version, boxes);
        _versions.AddOrUpdate(layer, version, (_, v) => Math.Max(v, version));
        return evicted;
    }

    // Every cached tile holding the layer is tested against the boxes: the cost is the size of the cache.
    private int Scan(string layer, IReadOnlyList<double[]>? boxes)
    {
        var evicted = 0;
        foreach (var (key, _) in _entries)
        {
            if (Array.IndexOf(key.LayerIds, layer) < 0) continue;
            if (boxes is null || boxes.Any(b => Touches(key, b)))
            {
                Remove(key);
                evicted++;
            }
        }
        return evicted;
    }

    // A small edit (one parcel) reaches a handful of tiles per zoom: look those addresses up directly, for every format
    // and layer list the layer is cached in, unless that would take more lookups than scanning the cache.
    private bool TryProbe(string layer, IReadOnlyList<double[]> boxes, out int evicted)
    {
        evicted = 0;
        var lists = _lists.TryGetValue(layer, out var l) ? l.Keys.ToArray() : [];
        if (lists.Length == 0) return true; // no tile of this layer was ever cached
        var ranges = new List<TileRange>();
        long lookups = 0;
        foreach (var b in boxes)
            for (var z = 0; z <= TileMath.MaxZoom; z++)
            {
                var r = TileMath.Covering(b[0], b[1], b[2], b[3], z, InvalidationBuffer);
                ranges.Add(r);
                lookups += (long)(r.MaxX - r.MinX + 1) * (r.MaxY - r.MinY + 1) * lists.Length * 3;
                if (lookups > _entries.Count) return false;
            }
        foreach (var r in ranges)
            for (var x = r.MinX; x <= r.MaxX; x++)
                for (var y = r.MinY; y <= r.MaxY; y++)
                    foreach (var list in lists)
                        foreach (var format in Formats)
                        {
                            var key = new TileKey(list, r.Z, x, y, format);
                            if (_entries.ContainsKey(key))
                            {
                                Remove(key);
                                evicted++;
                            }
                        }
        return true;
    }

    private static readonly TileFormat[] Formats = Enum.GetValues<TileFormat>();

    private static bool Touches(TileKey key, double[] box) =>
        TileMath.Covering(box[0], box[1], box[2], box[3], key.Z, InvalidationBuffer).Contains(key.X, key.Y);

    private void Remove(TileKey key)
    {
        if (_entries.TryRemove(key, out var gone)) Interlocked.Add(ref _bytes, -Interlocked.Exchange(ref gone.Accounted, 0));
    }

    private void Clear()
    {
        foreach (var key in _entries.Keys) Remove(key);
    }

    // Drops the least recently used tiles down to 90 % of the bound; one thread at a time, readers never wait.
    private void Evict()
    {
        if (!_evicting.TryEnter()) return;
        try
        {
            var target = _maxBytes * 9 / 10;
            if (Interlocked.Read(ref _bytes) <= target) return;
            foreach (var (key, _) in _entries.ToArray().OrderBy(e => e.Value.LastUsed))
            {
                Remove(key);
                if (Interlocked.Read(ref _bytes) <= target) break;
            }
        }
        finally
        {
            _evicting.Exit();
        }
    }
}
