using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Domain.Tiles;

namespace UrbanMonitor.Api.Tiles;

/// <summary>
/// <c>GET /api/cities/{slug}/districts/{code}/package.mbtiles</c>: the vector tiles covering one district, z12 to z16
/// (each layer within its own zoom range), in an MBTiles 1.3 file for land officers without a connection. Tiles are
/// the same bytes the tile URLs serve (gzip-compressed as MBTiles readers expect), so they share the tile cache.
/// </summary>
internal static class OfflinePackage
{
    public const int MinZoom = 12;
    public const int MaxZoom = 16;

    /// <summary>Refused (413) above this many tiles: a district that large is better served by several packages.</summary>
    public const int MaxTiles = 20_000;


    public static async Task<IResult> GetAsync(string slug, string code, NpgsqlDataSource db, TileCache cache, TileQueries queries, CancellationToken ct)
    {
        var (district, missing) = await PackageDistrict.FindAsync(db, slug, code, ct);
        if (district is null) return missing!;
        var (cityName, districtName) = (district.CityName, district.DistrictName);
        var (w, s, e, n) = (district.West, district.South, district.East, district.North);

        var ranges = Enumerable.Range(MinZoom, MaxZoom - MinZoom + 1).Select(z => TileMath.Covering(w, s, e, n, z, 0)).ToList();
        var total = ranges.Sum(r => (long)(r.MaxX - r.MinX + 1) * (r.MaxY - r.MinY + 1));
        if (total > MaxTiles)
            return TypedResults.Problem(type: Problems.TypeFor(413), title: "Package too large", statusCode: StatusCodes.Status413PayloadTooLarge,
                detail: $"District {slug}:{code} needs {total:N0} tiles from z{MinZoom} to z{MaxZoom}; a package holds at most {MaxTiles:N0}.");

        var path = Path.Combine(Path.GetTempPath(), $"um-package-{Guid.NewGuid():N}.mbtiles");
        try
        {
            await using (var sqlite = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                await sqlite.OpenAsync(ct);
                await ExecAsync(sqlite, "CREATE TABLE metadata (name text, value text); CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob); CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);", ct);
                await using var tx = (SqliteTransaction)await sqlite.BeginTransactionAsync(ct);
                await using var insert = sqlite.CreateCommand();
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES ($z, $x, $y, $data)";
                var pz = insert.Parameters.Add("$z", SqliteType.Integer);
                var px = insert.Parameters.Add("$x", SqliteType.Integer);
                var py = insert.Parameters.Add("$y", SqliteType.Integer);
                var pdata = insert.Parameters.Add("$data", SqliteType.Blob);
                foreach (var r in ranges)
                {
                    var layers = TileLayers.All.Where(l => r.Z >= l.MinZoom && r.Z <= l.MaxZoom).ToList();
                    for (var x = r.MinX; x <= r.MaxX; x++)
                        for (var y = r.MinY; y <= r.MaxY; y++)
                        {
                            var parts = new List<byte[]>();
                            foreach (var layer in layers)
                            {
                                var (lz, lx, ly) = (r.Z, x, y);
                                var entry = await cache.GetOrAddAsync(new TileKey(layer.Id, lz, lx, ly, TileFormat.Mvt), () => queries.MvtAsync(layer, lz, lx, ly, ct));
                                if (entry.Bytes.Length > 0) parts.Add(entry.Bytes);
                            }
                            if (parts.Count == 0) continue;
                            var combined = new TileEntry(parts.SelectMany(p => p).ToArray());
                            (pz.Value, px.Value, py.Value, pdata.Value) = (r.Z, x, (1 << r.Z) - 1 - y, combined.Gzip); // MBTiles rows count from the south (TMS)
                            await insert.ExecuteNonQueryAsync(ct);
                        }
                }
                var metadata = new Dictionary<string, string>
                {
                    ["name"] = $"{cityName} — {districtName} ({slug}:{code})",
                    ["format"] = "pbf",
                    ["type"] = "overlay",
                    ["version"] = "1",
                    ["description"] = $"UrbanMonitor offline package of district {slug}:{code}: public data only.",
                    ["bounds"] = string.Join(',', new[] { w, s, e, n }.Select(v => v.ToString("0.######", CultureInfo.InvariantCulture))),
                    ["center"] = string.Create(CultureInfo.InvariantCulture, $"{(w + e) / 2:0.######},{(s + n) / 2:0.######},{MaxZoom}"),
                    ["minzoom"] = MinZoom.ToString(CultureInfo.InvariantCulture),
                    ["maxzoom"] = MaxZoom.ToString(CultureInfo.InvariantCulture),
                    ["json"] = JsonSerializer.Serialize(new
                    {
                        vector_layers = TileLayers.All.Select(l => new
                        {
                            id = l.Id,
                            description = l.Layer.Description,
                            minzoom = Math.Max(l.MinZoom, MinZoom),
                            maxzoom = Math.Min(l.MaxZoom, MaxZoom),
                            fields = l.Layer.PublicColumns.ToDictionary(c => c.Name, c => c.Description),
                        }),
                    }),
                };
                await using var meta = sqlite.CreateCommand();
                meta.Transaction = tx;
                meta.CommandText = "INSERT INTO metadata (name, value) VALUES ($name, $value)";
                var pname = meta.Parameters.Add("$name", SqliteType.Text);
                var pvalue = meta.Parameters.Add("$value", SqliteType.Text);
                foreach (var (key, value) in metadata)
                {
                    (pname.Value, pvalue.Value) = (key, value);
                    await meta.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
            }
            // The file is deleted when the response has been sent (or the client went away).
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            return Results.Stream(stream, "application/vnd.sqlite3", fileDownloadName: $"{slug}-{code}.mbtiles");
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    private static async Task ExecAsync(SqliteConnection sqlite, string sql, CancellationToken ct)
    {
        await using var cmd = sqlite.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
