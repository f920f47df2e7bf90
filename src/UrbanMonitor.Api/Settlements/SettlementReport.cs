using System.Net;
using System.Text;
using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using Npgsql;
using SkiaSharp;
using UrbanMonitor.Api.Hosting;

namespace UrbanMonitor.Api.Settlements;

/// <summary>
/// A planner's printable report of one settlement: an HTML page of its analysis with a map image (PNG, 800×600,
/// drawn here with SkiaSharp in Web Mercator: the settlement in red, other settlements in orange, district boundaries
/// in grey, transit stops as blue dots, a scale bar in metres at the settlement's latitude).
/// </summary>
internal static class SettlementReport
{
    private static readonly string MapSql = Sql.Load("Settlements/map.sql");
    private const int Width = 800, Height = 600;

    /// <summary>The PNG bytes, or null when there is no such settlement.</summary>
    public static async Task<byte[]?> MapAsync(NpgsqlDataSource db, long id, CancellationToken ct)
    {
        var reader = new WKBReader();
        var layers = new List<(char Kind, Geometry Geometry)>();
        await using (var cmd = db.CreateCommand(MapSql))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                if (!r.IsDBNull(1)) layers.Add((r.GetString(0)[0], reader.Read((byte[])r.GetValue(1))));
        }
        if (layers.Count == 0 || layers[0].Kind != 'f') return null;
        var frame = layers[0].Geometry.EnvelopeInternal;
        var scale = Math.Min(Width / frame.Width, Height / frame.Height);
        var ox = frame.MinX + frame.Width / 2 - Width / 2.0 / scale;
        var oy = frame.MinY + frame.Height / 2 - Height / 2.0 / scale;
        SKPoint P(Coordinate c) => new((float)((c.X - ox) * scale), (float)(Height - (c.Y - oy) * scale));

        using var surface = SKSurface.Create(new SKImageInfo(Width, Height));
        var canvas = surface.Canvas;
        canvas.Clear(new SKColor(0xfa, 0xf8, 0xf2));
        using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke };
        foreach (var (kind, g) in layers.Skip(1))
        {
            switch (kind)
            {
                case 'd':
                    stroke.Color = new SKColor(0x80, 0x80, 0x80); stroke.StrokeWidth = 1.5f;
                    using (var path = ToPath(g, P)) canvas.DrawPath(path, stroke);
                    break;
                case 'o' or 's':
                    fill.Color = kind == 's' ? new SKColor(0xd7, 0x30, 0x27, 0x90) : new SKColor(0xfd, 0xae, 0x61, 0x70);
                    stroke.Color = kind == 's' ? new SKColor(0xa5, 0x00, 0x26) : new SKColor(0xd9, 0x70, 0x20);
                    stroke.StrokeWidth = kind == 's' ? 3 : 1;
                    using (var path = ToPath(g, P)) { canvas.DrawPath(path, fill); canvas.DrawPath(path, stroke); }
                    break;
                case 't':
                    fill.Color = new SKColor(0x21, 0x66, 0xac);
                    canvas.DrawCircle(P(g.Coordinate), 3.5f, fill);
                    break;
            }
        }
        // Scale bar: Web Mercator stretches distances by 1/cos(latitude).
        var lat = Math.Atan(Math.Sinh((frame.MinY + frame.Height / 2) / 6378137.0));
        var metresPerPixel = Math.Cos(lat) / scale;
        var bar = NiceLength(metresPerPixel * Width / 4);
        var px = (float)(bar / metresPerPixel);
        stroke.Color = SKColors.Black; stroke.StrokeWidth = 3;
        canvas.DrawLine(20, Height - 20, 20 + px, Height - 20, stroke);
        using var font = new SKFont(SKTypeface.Default, 14);
        using var text = new SKPaint { IsAntialias = true, Color = SKColors.Black };
        canvas.DrawText(bar >= 1000 ? $"{bar / 1000:0.#} km" : $"{bar:0} m", 20, Height - 28, SKTextAlign.Left, font, text);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static double NiceLength(double metres)
    {
        var p = Math.Pow(10, Math.Floor(Math.Log10(metres)));
        return metres / p >= 5 ? 5 * p : metres / p >= 2 ? 2 * p : p;
    }

    private static SKPath ToPath(Geometry g, Func<Coordinate, SKPoint> p)
    {
        using var path = new SKPathBuilder { FillType = SKPathFillType.EvenOdd };
        void Line(Coordinate[] cs, bool close)
        {
            if (cs.Length == 0) return;
            path.MoveTo(p(cs[0]));
            for (var i = 1; i < cs.Length; i++) path.LineTo(p(cs[i]));
            if (close) path.Close();
        }
        for (var i = 0; i < g.NumGeometries; i++)
        {
            switch (g.GetGeometryN(i))
            {
                case Polygon poly:
                    Line(poly.ExteriorRing.Coordinates, true);
                    foreach (var hole in poly.InteriorRings) Line(hole.Coordinates, true);
                    break;
                case LineString line:
                    Line(line.Coordinates, false);
                    break;
            }
        }
        return path.Detach();
    }

    /// <summary>The printable page of an analysis (the JSON of <c>analysis.sql</c>); every value HTML-encoded.</summary>
    public static string Html(string analysisJson)
    {
        using var doc = JsonDocument.Parse(analysisJson);
        var a = doc.RootElement;
        string E(JsonElement? v) => v is not { } x || x.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined
            ? "—" : WebUtility.HtmlEncode(x.ValueKind == JsonValueKind.String ? x.GetString() ?? "" : x.GetRawText());
        JsonElement? Get(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : null;
        var m = a.GetProperty("metrics");
        var id = a.GetProperty("id").GetInt64();
        var h = new StringBuilder();
        h.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Settlement report: ").Append(E(Get(a, "name")))
         .Append("</title><style>body{font-family:'Noto Sans',sans-serif;max-width:60rem;margin:1rem auto;color:#222}")
         .Append("table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #bbb;padding:.2rem .5rem;text-align:left}")
         .Append("img{max-width:100%;border:1px solid #999}@media print{a{color:inherit;text-decoration:none}}</style></head><body>");
        h.Append("<h1>").Append(E(Get(a, "name"))).Append(" <small>(").Append(E(Get(a, "code"))).Append(", ").Append(E(Get(a, "city"))).Append(")</small></h1>");
        h.Append("<p>Survey round ").Append(E(Get(a, "surveyRound"))).Append(", surveyed on ").Append(E(Get(a, "surveyedOn")))
         .Append("; source: ").Append(E(Get(a, "source"))).Append("; upgrading status: ").Append(E(Get(a, "upgradingStatus")))
         .Append("; slum classification: ").Append(E(Get(a, "slumClassification"))).Append(".</p>");
        h.Append("<img alt=\"Map of the settlement (red), other settlements (orange), district boundaries (grey), transit stops (blue)\" src=\"/api/settlements/")
         .Append(id).Append("/map.png\">");
        h.Append("<h2>Metrics</h2><table>");
        void Row(string label, JsonElement? v, string unit = "") =>
            h.Append("<tr><th>").Append(label).Append("</th><td>").Append(E(v)).Append(unit.Length > 0 && v is { ValueKind: JsonValueKind.Number } ? " " + unit : "").Append("</td></tr>");
        Row("Population", Get(a, "population"), "people");
        Row("Households", Get(a, "households"));
        Row("Area", Get(m, "areaM2"), "m²");
        Row("Perimeter", Get(m, "perimeterM"), "m");
        Row("Compactness (Polsby-Popper)", Get(m, "compactness"));
        Row("Population density", Get(m, "populationPerKm2"), "people/km²");
        Row("Households per hectare", Get(m, "householdsPerHa"));
        h.Append("</table>");
        if (Get(m, "note") is { ValueKind: JsonValueKind.String } note) h.Append("<p><em>").Append(E(note)).Append("</em></p>");
        h.Append("<h2>Districts</h2><table><tr><th>code</th><th>name</th><th>area m²</th><th>share</th></tr>");
        foreach (var d in a.GetProperty("districts").EnumerateArray())
            h.Append("<tr><td>").Append(E(Get(d, "code"))).Append("</td><td>").Append(E(Get(d, "name"))).Append("</td><td>")
             .Append(E(Get(d, "areaM2"))).Append("</td><td>").Append(E(Get(d, "shareOfSettlement"))).Append("</td></tr>");
        h.Append("</table>");
        var change = Get(a, "change");
        h.Append("<h2>Change between survey rounds</h2>");
        if (change is { ValueKind: JsonValueKind.Object } c)
            h.Append("<p>From round ").Append(E(Get(c, "from"))).Append(" to ").Append(E(Get(c, "to"))).Append(": ")
             .Append(E(Get(c, "areaAddedM2"))).Append(" m² added, ").Append(E(Get(c, "areaLostM2"))).Append(" m² lost, yearly growth rate ")
             .Append(E(Get(c, "yearlyGrowthRate"))).Append(".</p>");
        else h.Append("<p>Only one survey round is recorded.</p>");
        foreach (var (title, name) in new[] { ("Properties inside", "properties"), ("Exposure to hazards", "exposure"), ("Access", "access"), ("Deprivations", "deprivations"), ("Overlaps", "overlaps") })
            h.Append("<h2>").Append(title).Append("</h2><pre>").Append(WebUtility.HtmlEncode(JsonSerializer.Serialize(a.GetProperty(name), Indented))).Append("</pre>");
        h.Append("<p><a href=\"/api/settlements/").Append(id).Append("\">JSON of this report</a></p></body></html>");
        return h.ToString();
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
