using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using SkiaSharp;
using SkiaSharp.HarfBuzz;

namespace UrbanMonitor.Api.Tiles;

/// <summary>How a layer is drawn in raster tiles: <c>tiles/styles/{layer}.json</c> (see tiles/README.md).</summary>
public sealed record TileStyle(
    string Fill, double FillOpacity, string Stroke, double StrokeWidth, double Radius,
    string? Label, int LabelMinZoom, string LabelColor, double LabelSize, string HaloColor)
{
    public static TileStyle Default { get; } = new("#888888", 0.4, "#333333", 1, 3, null, 99, "#000000", 11, "#ffffff");
}

/// <summary>
/// Draws raster tiles (256 or 512 pixels) with SkiaSharp from the clipped geometries PostGIS returns for the tile,
/// with each layer's style file. Labels are shaped with HarfBuzz: Arabic-script text with Noto Naskh Arabic, other
/// text with Noto Sans; a label is drawn by the tile that holds its anchor point.
/// </summary>
internal sealed class TileRenderer : IDisposable
{
    private const string FontDirectory = "/usr/share/fonts/truetype/noto";
    private static readonly JsonSerializerOptions StyleJson = new() { PropertyNameCaseInsensitive = true };

    private readonly TileQueries _queries;
    private readonly Dictionary<string, TileStyle> _styles;
    private readonly SKTypeface _latin;
    private readonly SKTypeface _arabic;

    public TileRenderer(TileQueries queries, IOptions<TilesOptions> options, ILogger<TileRenderer> logger)
    {
        _queries = queries;
        var dir = options.Value.StylesDirectory is { Length: > 0 } d ? d : Path.Combine(AppContext.BaseDirectory, "tiles", "styles");
        _styles = new Dictionary<string, TileStyle>(StringComparer.Ordinal);
        foreach (var layer in TileLayers.All)
        {
            var file = Path.Combine(dir, layer.Id + ".json");
            if (File.Exists(file))
                _styles[layer.Id] = JsonSerializer.Deserialize<TileStyle>(File.ReadAllText(file), StyleJson) ?? TileStyle.Default;
            else
                logger.LogWarning("No style file {File}: layer {Layer} is drawn in grey", file, layer.Id);
        }
        _latin = LoadFont("NotoSans-Regular.ttf");
        _arabic = LoadFont("NotoNaskhArabic-Regular.ttf");
    }

    public TileStyle StyleOf(string layer) => _styles.GetValueOrDefault(layer) ?? TileStyle.Default;

    /// <summary>PNG bytes of the tile, or an empty array when no layer has a feature in it.</summary>
    public async Task<byte[]> RenderAsync(IReadOnlyList<TileLayer> layers, int z, int x, int y, int scale, CancellationToken ct)
    {
        var size = 256 * scale;
        var extent = size * 16; // sub-pixel precision
        var data = new List<(TileStyle Style, List<RasterFeature> Features)>();
        foreach (var layer in layers)
        {
            var style = StyleOf(layer.Id);
            var label = z >= style.LabelMinZoom ? style.Label : null;
            data.Add((style, await _queries.RasterAsync(layer, label, z, x, y, extent, ct)));
        }
        if (data.All(d => d.Features.Count == 0)) return [];

        using var surface = SKSurface.Create(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.Transparent);
        var reader = new WKBReader();
        var toPixels = 1f / 16;
        var labels = new List<(string Text, SKPoint At, TileStyle Style)>();
        foreach (var (style, features) in data)
        {
            using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill, Color = Colour(style.Fill, style.FillOpacity) };
            using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, Color = Colour(style.Stroke, 1), StrokeWidth = (float)style.StrokeWidth * scale };
            foreach (var f in features)
            {
                var geometry = reader.Read(f.Wkb);
                Draw(canvas, geometry, toPixels, (float)style.Radius * scale, fill, stroke);
                if (f.Label is { Length: > 0 } text) labels.Add((text, new SKPoint(f.AnchorX * toPixels, f.AnchorY * toPixels), style));
            }
        }
        // Labels go on top of every layer's shapes; one shaper per font for the whole tile.
        if (labels.Count > 0)
        {
            using var latin = new SKShaper(_latin);
            using var arabic = new SKShaper(_arabic);
            foreach (var (text, at, style) in labels) DrawLabel(canvas, latin, arabic, text, at, style, scale, size);
        }

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static void Draw(SKCanvas canvas, NetTopologySuite.Geometries.Geometry g, float k, float radius, SKPaint fill, SKPaint stroke)
    {
        switch (g)
        {
            case Point p:
                var c = new SKPoint((float)p.X * k, (float)p.Y * k);
                canvas.DrawCircle(c, Math.Max(radius, 1), fill);
                if (stroke.StrokeWidth > 0) canvas.DrawCircle(c, Math.Max(radius, 1), stroke);
                break;
            case Polygon polygon:
                using (var path = new SKPathBuilder { FillType = SKPathFillType.EvenOdd })
                {
                    AddRing(path, polygon.ExteriorRing, k);
                    foreach (var hole in polygon.InteriorRings) AddRing(path, hole, k);
                    using var built = path.Detach();
                    canvas.DrawPath(built, fill);
                    if (stroke.StrokeWidth > 0) canvas.DrawPath(built, stroke);
                }
                break;
            case LineString line:
                using (var path = new SKPathBuilder())
                {
                    var pts = line.Coordinates;
                    path.MoveTo((float)pts[0].X * k, (float)pts[0].Y * k);
                    for (var i = 1; i < pts.Length; i++) path.LineTo((float)pts[i].X * k, (float)pts[i].Y * k);
                    using var built = path.Detach();
                    canvas.DrawPath(built, stroke);
                }
                break;
            case GeometryCollection collection:
                foreach (var part in collection.Geometries) Draw(canvas, part, k, radius, fill, stroke);
                break;
        }
    }

    private static void AddRing(SKPathBuilder path, LineString ring, float k)
    {
        var pts = ring.Coordinates;
        if (pts.Length == 0) return;
        path.MoveTo((float)pts[0].X * k, (float)pts[0].Y * k);
        for (var i = 1; i < pts.Length; i++) path.LineTo((float)pts[i].X * k, (float)pts[i].Y * k);
        path.Close();
    }

    // A label is drawn only where it fits whole inside the tile: a label cut at a tile edge would not line up with
    // its other half, which the neighbouring tile does not draw.
    private void DrawLabel(SKCanvas canvas, SKShaper latin, SKShaper arabic, string text, SKPoint at, TileStyle style, int scale, int size)
    {
        var isArabic = IsArabicScript(text);
        var typeface = isArabic ? _arabic : _latin;
        var shaper = isArabic ? arabic : latin;
        using var font = new SKFont(typeface, (float)style.LabelSize * scale);
        var width = shaper.Shape(text, font).Width;
        var margin = 2f * scale;
        if (at.X - width / 2 < margin || at.X + width / 2 > size - margin || at.Y - font.Size < margin || at.Y + font.Size > size - margin) return;
        var baseline = new SKPoint(at.X, at.Y + font.Size / 3);
        using var halo = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 3f * scale, Color = Colour(style.HaloColor, 0.9), StrokeJoin = SKStrokeJoin.Round };
        using var ink = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill, Color = Colour(style.LabelColor, 1) };
        canvas.DrawShapedText(shaper, text, baseline, SKTextAlign.Center, font, halo);
        canvas.DrawShapedText(shaper, text, baseline, SKTextAlign.Center, font, ink);
    }

    /// <summary>True when the text has a letter of the Arabic script (Arabic, Dari, Pashto, Urdu).</summary>
    internal static bool IsArabicScript(string text)
    {
        foreach (var ch in text)
            if (ch is >= '\u0600' and <= '\u06FF' or >= '\u0750' and <= '\u077F' or >= '\u08A0' and <= '\u08FF' or >= '\uFB50' and <= '\uFDFF' or >= '\uFE70' and <= '\uFEFF')
                return true;
        return false;
    }

    private static SKColor Colour(string hex, double opacity)
    {
        var rgb = hex.TrimStart('#');
        if (rgb.Length != 6 || !uint.TryParse(rgb, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v)) v = 0x808080;
        return new SKColor((byte)(v >> 16), (byte)(v >> 8), (byte)v, (byte)Math.Round(Math.Clamp(opacity, 0, 1) * 255));
    }

    private static SKTypeface LoadFont(string file)
    {
        var path = Path.Combine(FontDirectory, file);
        return (File.Exists(path) ? SKTypeface.FromFile(path) : null) ?? SKTypeface.Default;
    }

    public void Dispose()
    {
        _latin.Dispose();
        _arabic.Dispose();
    }
}
