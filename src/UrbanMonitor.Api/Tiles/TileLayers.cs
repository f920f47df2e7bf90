using UrbanMonitor.Api.Layers;

namespace UrbanMonitor.Api.Tiles;

/// <summary>
/// How a catalogue layer is tiled. Zoom ranges follow the data: a parcel is ~10 m wide, one pixel at z14 is ~9 m,
/// and a z14 tile of the 1M-parcel city holds ~12,000 parcels (650 KB), so properties start at z15 (~3,000 per tile
/// at most) and reach z16 (~790) where they are comfortably drawn. Outside the range a request is refused (400);
/// clients over-zoom the highest tile.
/// </summary>
/// <param name="Layer">The catalogue entry (table and public columns).</param>
/// <param name="MinZoom">Lowest zoom served.</param>
/// <param name="MaxZoom">Highest zoom served (≤ 24).</param>
/// <param name="FeatureCap">At most this many features per tile and layer (the lowest ids win, so tiles are stable).</param>
public sealed record TileLayer(LayerDefinition Layer, int MinZoom, int MaxZoom, int FeatureCap)
{
    public string Id => Layer.Id;
}

/// <summary>The tiled layers: every catalogue layer that has a maintained <c>geom3857</c> column (0003_tiles.sql).</summary>
public static class TileLayers
{
    private static readonly Dictionary<string, (int Min, int Max, int Cap)> Settings = new(StringComparer.Ordinal)
    {
        ["properties"] = (15, 22, 5_000),
        ["settlements"] = (8, 22, 5_000),
        ["districts"] = (4, 20, 2_000),
        ["transit-stops"] = (11, 22, 5_000),
        // Reference layers (0004_reference_layer_tiles.sql): street segments are ~100 m, parks a block.
        ["streets"] = (13, 22, 5_000),
        ["open-spaces"] = (11, 22, 5_000),
        ["built-up"] = (6, 18, 2_000),
        ["population-units"] = (8, 20, 2_000),
        ["hazard-zones"] = (8, 20, 2_000),
        ["facilities"] = (12, 22, 5_000),
        // Community upgrading (0080_community.sql): a council covers a few blocks, a project is a drain or a lamp.
        ["councils"] = (10, 22, 5_000),
        ["projects"] = (12, 22, 5_000),
    };

    public static IReadOnlyList<TileLayer> All { get; } = LayerCatalogue.All
        .Where(l => Settings.ContainsKey(l.Id))
        .Select(l => new TileLayer(l, Settings[l.Id].Min, Settings[l.Id].Max, Settings[l.Id].Cap))
        .ToArray();

    private static readonly Dictionary<string, TileLayer> ById = All.ToDictionary(l => l.Id, StringComparer.Ordinal);

    public static bool TryGet(string id, out TileLayer layer) => ById.TryGetValue(id, out layer!);
}
