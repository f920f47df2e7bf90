using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Layers;

namespace UrbanMonitor.Api.Tiles;

/// <summary>One raster feature: clipped geometry in tile units (WKB, origin top left), its label, if any, and the
/// label's anchor in tile units (a point on the whole shape; may lie outside the tile).</summary>
internal sealed record RasterFeature(long Id, byte[] Wkb, string? Label, float AnchorX, float AnchorY);

/// <summary>What TileJSON reports of a layer.</summary>
internal sealed record LayerSummary(long Version, string? Attribution, double[]? Bounds);

/// <summary>The tile queries of every tiled layer, built once from the embedded SQL and the layer catalogue.</summary>
internal sealed class TileQueries(NpgsqlDataSource db)
{
    private static readonly string MvtTemplate = Sql.Load("Tiles/mvt.sql");
    private static readonly string MvtAtSql = Sql.Load("Tiles/mvt_at.sql");

    /// <summary>Layers whose history is kept, so <c>?at=</c> reads them as they were; others are served as they are.</summary>
    public static bool HasHistory(TileLayer layer) => layer.Id == "properties";
    private static readonly string RasterTemplate = Sql.Load("Tiles/raster.sql");
    private static readonly string TileJsonTemplate = Sql.Load("Tiles/tilejson.sql");
    private static readonly string VersionsSql = Sql.Load("Tiles/versions.sql");
    private static readonly string VersionSql = Sql.Load("Tiles/version.sql");
    private static readonly string IndicatorMvtSql = Sql.Load("Tiles/indicator_mvt.sql");
    private static readonly string IndicatorTileJsonSql = Sql.Load("Tiles/indicator_tilejson.sql");

    private static readonly Dictionary<string, string> Mvt = TileLayers.All.ToDictionary(l => l.Id, l => MvtTemplate
        .Replace("{{table}}", Quote(l.Layer.Table), StringComparison.Ordinal)
        .Replace("{{columns}}", string.Join(", ", l.Layer.PublicColumns.Select(Column)), StringComparison.Ordinal), StringComparer.Ordinal);

    private static readonly Dictionary<string, string> TileJson = TileLayers.All.ToDictionary(l => l.Id, l => TileJsonTemplate
        .Replace("{{table}}", Quote(l.Layer.Table), StringComparison.Ordinal), StringComparer.Ordinal);

    // Raster SQL per (layer, label column), both from the catalogue.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Layer, string? Label), string> _raster = new();

    /// <summary>The MVT bytes of one layer of one tile; empty when no feature touches it.</summary>
    public async Task<byte[]> MvtAsync(TileLayer layer, int z, int x, int y, CancellationToken ct)
    {
        if (layer.Indicator is { } indicator) return await IndicatorMvtAsync(layer, indicator, z, x, y, ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(Mvt[layer.Id], conn);
        AddTile(cmd, z, x, y, layer.FeatureCap);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = layer.Id, NpgsqlDbType = NpgsqlDbType.Text });
        // Prepared once per pooled connection (Npgsql keeps it), as pgbench -M prepared does: no parse and plan per tile.
        await cmd.PrepareAsync(ct);
        return await cmd.ExecuteScalarAsync(ct) as byte[] ?? [];
    }

    // The indicators layer: districts with the stored value of one indicator (its code a parameter, checked against the
    // catalogue by the caller).
    private async Task<byte[]> IndicatorMvtAsync(TileLayer layer, string indicator, int z, int x, int y, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(IndicatorMvtSql);
        AddTile(cmd, z, x, y, layer.FeatureCap);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = indicator, NpgsqlDbType = NpgsqlDbType.Text });
        return await cmd.ExecuteScalarAsync(ct) as byte[] ?? [];
    }

    /// <summary>Version, attribution and extent of one indicator's choropleth (extent: districts with a stored result).</summary>
    public async Task<LayerSummary> IndicatorSummaryAsync(string indicator, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(IndicatorTileJsonSql);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = indicator, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new LayerSummary(reader.IsDBNull(0) ? 1 : reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : [reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5)]);
    }

    /// <summary>The MVT bytes of one layer as it was at <paramref name="at"/> (layers without history: as they are now).</summary>
    public async Task<byte[]> MvtAtAsync(TileLayer layer, int z, int x, int y, DateTimeOffset at, CancellationToken ct)
    {
        if (!HasHistory(layer)) return await MvtAsync(layer, z, x, y, ct);
        await using var cmd = db.CreateCommand(MvtAtSql);
        AddTile(cmd, z, x, y, layer.FeatureCap);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = layer.Id, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return await cmd.ExecuteScalarAsync(ct) as byte[] ?? [];
    }

    /// <summary>Features of one layer for a raster tile of <c>extent</c> units a side; <c>labelColumn</c> is used only
    /// when it is one of the layer's public columns.</summary>
    public async Task<List<RasterFeature>> RasterAsync(TileLayer layer, string? labelColumn, int z, int x, int y, int extent, CancellationToken ct)
    {
        var label = labelColumn is not null && layer.Layer.PublicColumns.Any(c => c.Name == labelColumn) ? labelColumn : null;
        var sql = _raster.GetOrAdd((layer.Id, label), k => RasterTemplate
            .Replace("{{table}}", Quote(layer.Layer.Table), StringComparison.Ordinal)
            .Replace("{{label}}", k.Label is null ? "NULL::text" : Quote(k.Label) + "::text", StringComparison.Ordinal));
        await using var cmd = db.CreateCommand(sql);
        AddTile(cmd, z, x, y, layer.FeatureCap);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = extent, NpgsqlDbType = NpgsqlDbType.Integer });
        var result = new List<RasterFeature>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var hasAnchor = !reader.IsDBNull(2) && !reader.IsDBNull(3);
            result.Add(new RasterFeature(reader.GetInt64(0), (byte[])reader[1], hasAnchor ? reader.GetString(2) : null,
                hasAnchor ? (float)reader.GetDouble(3) : 0, hasAnchor ? (float)reader.GetDouble(4) : 0));
        }
        return result;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LayerSummary> _summaries = new(StringComparer.Ordinal);

    /// <summary>Version, attribution and extent of a layer. The extent of a large layer takes a while to compute, so a
    /// summary is kept until the layer's version changes (loading a layer bumps it; editing layer_sources alone does not).</summary>
    public async Task<LayerSummary> SummaryAsync(TileLayer layer, CancellationToken ct)
    {
        await using (var current = db.CreateCommand(VersionSql))
        {
            current.Parameters.Add(new NpgsqlParameter<string> { TypedValue = layer.Id, NpgsqlDbType = NpgsqlDbType.Text });
            if (await current.ExecuteScalarAsync(ct) is long now && _summaries.TryGetValue(layer.Id, out var known) && known.Version == now)
                return known;
        }
        await using var cmd = db.CreateCommand(TileJson[layer.Id]);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = layer.Id, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var version = reader.IsDBNull(0) ? 1 : reader.GetInt64(0);
        var attribution = reader.IsDBNull(1) ? null : reader.GetString(1);
        double[]? bounds = reader.IsDBNull(2) ? null : [reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5)];
        return _summaries[layer.Id] = new LayerSummary(version, attribution, bounds);
    }

    /// <summary>The data version of every layer, as the database has it now.</summary>
    public static async Task<Dictionary<string, long>> VersionsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(VersionsSql, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct)) versions[reader.GetString(0)] = reader.GetInt64(1);
        return versions;
    }

    private static void AddTile(NpgsqlCommand cmd, int z, int x, int y, int cap)
    {
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = z, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = x, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = y, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = cap, NpgsqlDbType = NpgsqlDbType.Integer });
    }

    // Dates are sent as ISO text: MVT has no date type.
    private static string Column(LayerColumn c) =>
        c.Type == "date" ? $"{Quote(c.Name)}::text AS {Quote(c.Name)}" : Quote(c.Name);

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
