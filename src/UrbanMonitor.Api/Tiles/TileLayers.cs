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

    /// <summary>For the <c>indicators</c> layer: the indicator code (from the catalogue) whose stored values it carries.</summary>
    public string? Indicator { get; init; }

    /// <summary>The layer's name in cache keys, layer lists and <c>layer_versions</c>: the id, or
    /// <c>indicators:{code}</c> for one indicator's choropleth (each indicator has its own tiles and data version).</summary>
    public string CacheId => Indicator is null ? Id : $"{Id}:{Indicator}";
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

    /// <summary>
    /// The district choropleth of one indicator (<c>?indicator=11.1.1</c>): each district with its stored result
    /// (<c>indicator_results</c>). Not in <see cref="All"/>, which lists layers whose tiles need no parameter (offline
    /// packages, raster styles, the OGC collections); served as vector tiles only.
    /// </summary>
    public static TileLayer Indicators { get; } = new(new LayerDefinition("indicators", "districts", "Indicator choropleth",
        "Districts with the stored value of one indicator (?indicator=code): a choropleth.", "MultiPolygon",
        [
            new("code", "string", "District code."),
            new("name", "string", "District name."),
            new("indicator", "string", "Indicator code (GET /api/indicators)."),
            new("value", "number", "The stored value; absent when the data cannot give one (see reason)."),
            new("unit", "string", "Unit of the value: %, ratio, persons/km², …"),
            new("reason", "string", "Why there is no value, when there is none."),
        ]), 4, 20, 2_000);

    private static readonly Dictionary<string, TileLayer> ById = All.Append(Indicators).ToDictionary(l => l.Id, StringComparer.Ordinal);

    public static bool TryGet(string id, out TileLayer layer) => ById.TryGetValue(id, out layer!);
}
