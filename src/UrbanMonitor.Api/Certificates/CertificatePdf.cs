using System.Globalization;
using NetTopologySuite.Geometries;
using QRCoder;
using SkiaSharp;
using SkiaSharp.HarfBuzz;
using UrbanMonitor.Api.Tiles;
using UrbanMonitor.Domain.Calendars;

namespace UrbanMonitor.Api.Certificates;

/// <summary>
/// Draws an occupancy certificate as a one-page A4 PDF with SkiaSharp: Dari text shaped by HarfBuzz with Noto Naskh
/// Arabic (joined letters, right to left, right-aligned), English in Noto Sans; the parcel map in its UTM zone with the
/// neighbours, vertex numbers, a scale bar and a north arrow; the vertex coordinate table; the holders and their right;
/// dates in the Solar Hijri and Gregorian calendars; and the verification URL as a vector QR code. The same facts give
/// the same bytes (the PDF's dates are the issue instant).
/// </summary>
internal sealed class CertificatePdf : IDisposable
{
    private const string FontDirectory = "/usr/share/fonts/truetype/noto";
    private const float PageWidth = 595.28f, PageHeight = 841.89f, Margin = 40f;
    private const int MaxTableRows = 22;

    private readonly SKTypeface _latin = LoadFont("NotoSans-Regular.ttf");
    private readonly SKTypeface _latinBold = LoadFont("NotoSans-Bold.ttf");
    private readonly SKTypeface _arabic = LoadFont("NotoNaskhArabic-Regular.ttf");
    private readonly SKTypeface _arabicBold = LoadFont("NotoNaskhArabic-Bold.ttf");

    /// <summary>The typeface that draws Arabic-script text (for tests that compare shaped and unshaped text).</summary>
    internal SKTypeface ArabicTypeface => _arabic;

    public byte[] Render(CertificateFacts f, string verificationUrl)
    {
        using var stream = new MemoryStream();
        var issued = f.IssuedAt.UtcDateTime;
        var metadata = new SKDocumentPdfMetadata
        {
            Title = $"Occupancy certificate {f.Number}",
            Subject = f.PropertyCode,
            Creator = "UrbanMonitor",
            Producer = "UrbanMonitor",
            Creation = issued,
            Modified = issued,
            RasterDpi = 300,
        };
        using (var document = SKDocument.CreatePdf(stream, metadata))
        {
            var canvas = document.BeginPage(PageWidth, PageHeight);
            Draw(canvas, f, verificationUrl);
            document.EndPage();
            document.Close();
        }
        return stream.ToArray();
    }

    private void Draw(SKCanvas canvas, CertificateFacts f, string url)
    {
        using var ink = new SKPaint { IsAntialias = true, Color = new SKColor(0x1a, 0x1a, 0x1a) };
        using var muted = new SKPaint { IsAntialias = true, Color = new SKColor(0x55, 0x55, 0x55) };
        using var rule = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 0.6f, Color = new SKColor(0x99, 0x99, 0x99) };
        var right = PageWidth - Margin;

        // Header: the English title on the left, the Dari title on the right.
        Text(canvas, "Occupancy Certificate", Margin, 62, 20, true, SKTextAlign.Left, ink);
        Text(canvas, "سند تصرف", right, 64, 24, true, SKTextAlign.Right, ink);
        Text(canvas, $"{f.CityName} · district {f.District}", Margin, 82, 10, false, SKTextAlign.Left, muted);
        Text(canvas, "شاروالی", right, 86, 12, false, SKTextAlign.Right, muted);
        canvas.DrawLine(Margin, 96, right, 96, rule);

        // Fields: English label | value | Dari label.
        var hijri = SolarHijri.Of(f.IssuedAt, f.UtcOffset);
        var gregorian = f.IssuedAt.ToOffset(f.UtcOffset).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var y = 118f;
        Field(canvas, "Certificate number", "شماره سند", f.Number, null, ref y, ink, muted, rule);
        Field(canvas, "Property code", "کود ملکیت", f.PropertyCode, null, ref y, ink, muted, rule);
        Field(canvas, "Area", "مساحت", f.AreaM2.ToString("#,0.00", CultureInfo.InvariantCulture) + " m²", null, ref y, ink, muted, rule);
        Field(canvas, "Date of issue (Gregorian)", "تاریخ صدور میلادی", gregorian, null, ref y, ink, muted, rule);
        Field(canvas, "Date of issue (Solar Hijri)", "تاریخ صدور هجری شمسی", $"{hijri.Numeric} ({hijri.Latin})", hijri.Dari, ref y, ink, muted, rule);

        // Holders and their right.
        y += 10;
        Text(canvas, "Holders and right", Margin, y, 12, true, SKTextAlign.Left, ink);
        Text(canvas, "دارندگان و نوع حق", right, y + 2, 13, true, SKTextAlign.Right, ink);
        y += 18;
        Text(canvas, "Name", Margin, y, 8, false, SKTextAlign.Left, muted);
        Text(canvas, "Right", 300, y, 8, false, SKTextAlign.Left, muted);
        Text(canvas, "Share", 440, y, 8, false, SKTextAlign.Left, muted);
        y += 4;
        canvas.DrawLine(Margin, y, right, y, rule);
        foreach (var h in f.Holders.Take(8))
        {
            y += 20;
            Text(canvas, h.Name, Margin, y, 13, false, SKTextAlign.Left, ink);
            Text(canvas, RightNames.English(h.Kind), 300, y, 10, false, SKTextAlign.Left, ink);
            Text(canvas, RightNames.Dari(h.Kind), 430, y + 1, 11, false, SKTextAlign.Right, ink);
            Text(canvas, RightNames.Share(h.Share), 440, y, 10, false, SKTextAlign.Left, ink);
            canvas.DrawLine(Margin, y + 6, right, y + 6, rule);
        }
        if (f.Holders.Count > 8)
        {
            y += 16;
            Text(canvas, $"and {f.Holders.Count - 8} more holders", Margin, y, 9, false, SKTextAlign.Left, muted);
        }

        // The map (left) and the coordinate table (right).
        var top = Math.Max(y + 28, 330f);
        Text(canvas, "Parcel map", Margin, top, 12, true, SKTextAlign.Left, ink);
        Text(canvas, "نقشه قطعه", 300, top + 2, 13, true, SKTextAlign.Right, ink);
        var mapBox = new SKRect(Margin, top + 10, 300, top + 270);
        DrawMap(canvas, f, mapBox, ink, muted);

        var zone = f.UtmEpsg % 100;
        var hemisphere = f.UtmEpsg / 100 == 326 ? "N" : "S";
        Text(canvas, "Vertex coordinates", 320, top, 12, true, SKTextAlign.Left, ink);
        Text(canvas, "مختصات نقاط", right, top + 2, 13, true, SKTextAlign.Right, ink);
        Text(canvas, $"WGS 84 / UTM zone {zone}{hemisphere} (EPSG:{f.UtmEpsg}), metres", 320, top + 16, 8, false, SKTextAlign.Left, muted);
        var ty = top + 32;
        Text(canvas, "No.", 320, ty, 8, false, SKTextAlign.Left, muted);
        Text(canvas, "Easting (m)", 440, ty, 8, false, SKTextAlign.Right, muted);
        Text(canvas, "Northing (m)", right, ty, 8, false, SKTextAlign.Right, muted);
        canvas.DrawLine(320, ty + 4, right, ty + 4, rule);
        var vertices = Vertices(f.Parcel);
        foreach (var (v, i) in vertices.Take(MaxTableRows).Select((v, i) => (v, i)))
        {
            ty += 11;
            Text(canvas, (i + 1).ToString(CultureInfo.InvariantCulture), 320, ty, 8, false, SKTextAlign.Left, ink);
            Text(canvas, v.X.ToString("0.00", CultureInfo.InvariantCulture), 440, ty, 8, false, SKTextAlign.Right, ink);
            Text(canvas, v.Y.ToString("0.00", CultureInfo.InvariantCulture), right, ty, 8, false, SKTextAlign.Right, ink);
        }
        if (vertices.Count > MaxTableRows)
            Text(canvas, $"… {vertices.Count - MaxTableRows} more vertices (see the registry)", 320, ty + 12, 8, false, SKTextAlign.Left, muted);

        // Footer: the QR code of the verification page, and how to verify.
        var qrSize = 120f;
        var qrTop = PageHeight - Margin - qrSize;
        DrawQr(canvas, url, new SKRect(right - qrSize, qrTop, right, qrTop + qrSize));
        canvas.DrawLine(Margin, qrTop - 12, right, qrTop - 12, rule);
        Text(canvas, "Verify this certificate: scan the code or open", Margin, qrTop + 14, 9, false, SKTextAlign.Left, muted);
        Text(canvas, url, Margin, qrTop + 28, 7, false, SKTextAlign.Left, muted);
        Text(canvas, "برای تصدیق این سند، کود را اسکن کنید", right - qrSize - 12, qrTop + 50, 11, false, SKTextAlign.Right, muted);
        Text(canvas, $"Property version {f.Version}. The certificate stays current while the property is unchanged.", Margin, qrTop + 72, 8, false, SKTextAlign.Left, muted);
    }

    private void Field(SKCanvas canvas, string english, string dari, string value, string? dariValue, ref float y,
        SKPaint ink, SKPaint muted, SKPaint rule)
    {
        var right = PageWidth - Margin;
        Text(canvas, english, Margin, y, 9, false, SKTextAlign.Left, muted);
        Text(canvas, value, 200, y, 11, true, SKTextAlign.Left, ink);
        if (dariValue is not null) Text(canvas, dariValue, 440, y + 1, 12, false, SKTextAlign.Right, ink);
        Text(canvas, dari, right, y + 1, 11, false, SKTextAlign.Right, muted);
        canvas.DrawLine(Margin, y + 7, right, y + 7, rule);
        y += 22;
    }

    /// <summary>Draws one run of text: Arabic script shaped by HarfBuzz with Naskh (joining forms, right to left), other text
    /// with Noto Sans. A run is one script: mixed runs would need bidi reordering, which the certificate avoids.</summary>
    private void Text(SKCanvas canvas, string text, float x, float y, float size, bool bold, SKTextAlign align, SKPaint paint)
    {
        if (!TileRenderer.IsArabicScript(text))
        {
            // Latin needs no shaping, and HarfBuzz's default ligatures (fi) would reach the PDF's text as U+FB01.
            using var latin = new SKFont(bold ? _latinBold : _latin, size);
            canvas.DrawText(text, x, y, align, latin, paint);
            return;
        }
        var typeface = bold ? _arabicBold : _arabic;
        using var font = new SKFont(typeface, size);
        using var shaper = new SKShaper(typeface);
        canvas.DrawShapedText(shaper, text, x, y, align, font, paint);
    }

    private static List<Coordinate> Vertices(Geometry parcel)
    {
        var list = new List<Coordinate>();
        for (var i = 0; i < parcel.NumGeometries; i++)
        {
            var ring = ((Polygon)parcel.GetGeometryN(i)).ExteriorRing.Coordinates;
            list.AddRange(ring.Take(ring.Length - 1));
        }
        return list;
    }

    private void DrawMap(SKCanvas canvas, CertificateFacts f, SKRect box, SKPaint ink, SKPaint muted)
    {
        using var frame = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 0.8f, Color = SKColors.Black };
        using var neighbourFill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill, Color = new SKColor(0xe4, 0xe4, 0xe4) };
        using var neighbourLine = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 0.5f, Color = new SKColor(0x88, 0x88, 0x88) };
        using var parcelFill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill, Color = new SKColor(0xf6, 0xd3, 0x8a) };
        using var parcelLine = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1.6f, Color = new SKColor(0xb0, 0x1e, 0x1e) };

        var env = f.Parcel.EnvelopeInternal.Copy();
        var pad = Math.Max(10, Math.Max(env.Width, env.Height) * 0.35);
        env.ExpandBy(pad);
        var scale = (float)Math.Min(box.Width / env.Width, box.Height / env.Height); // points per metre
        var cx = env.Centre.X;
        var cy = env.Centre.Y;
        SKPoint ToPage(Coordinate c) => new(box.MidX + (float)(c.X - cx) * scale, box.MidY - (float)(c.Y - cy) * scale);

        canvas.Save();
        canvas.ClipRect(box);
        foreach (var n in f.Neighbours)
        {
            using var path = PathOf(n, ToPage);
            canvas.DrawPath(path, neighbourFill);
            canvas.DrawPath(path, neighbourLine);
        }
        using (var path = PathOf(f.Parcel, ToPage))
        {
            canvas.DrawPath(path, parcelFill);
            canvas.DrawPath(path, parcelLine);
        }
        var vertices = Vertices(f.Parcel);
        if (vertices.Count <= MaxTableRows)
            for (var i = 0; i < vertices.Count; i++)
            {
                var p = ToPage(vertices[i]);
                canvas.DrawCircle(p, 1.8f, ink);
                Text(canvas, (i + 1).ToString(CultureInfo.InvariantCulture), p.X + 3, p.Y - 3, 7, true, SKTextAlign.Left, ink);
            }
        canvas.Restore();
        canvas.DrawRect(box, frame);

        // North arrow (UTM grid north) in the top-right corner.
        var ax = box.Right - 18;
        var ay = box.Top + 12;
        using (var arrow = new SKPathBuilder())
        {
            arrow.MoveTo(ax, ay);
            arrow.LineTo(ax + 6, ay + 20);
            arrow.LineTo(ax, ay + 15);
            arrow.LineTo(ax - 6, ay + 20);
            arrow.Close();
            using var built = arrow.Detach();
            canvas.DrawPath(built, ink);
        }
        Text(canvas, "N", ax, ay + 31, 9, true, SKTextAlign.Center, ink);

        // Scale bar: a round length near a quarter of the map's width.
        var target = box.Width / 4 / scale;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(target)));
        var metres = new[] { 1, 2, 5, 10 }.Select(m => m * magnitude).Last(m => m <= target);
        var barLength = (float)(metres * scale);
        var bx = box.Left + 10;
        var by = box.Bottom - 12;
        using var white = new SKPaint { Style = SKPaintStyle.Fill, Color = SKColors.White };
        canvas.DrawRect(new SKRect(bx, by - 3, bx + barLength / 2, by + 1), ink);
        canvas.DrawRect(new SKRect(bx + barLength / 2, by - 3, bx + barLength, by + 1), white);
        canvas.DrawRect(new SKRect(bx, by - 3, bx + barLength, by + 1), frame);
        Text(canvas, "0", bx, by - 6, 7, false, SKTextAlign.Center, ink);
        Text(canvas, metres.ToString("0.##", CultureInfo.InvariantCulture) + " m", bx + barLength, by - 6, 7, false, SKTextAlign.Center, ink);
        Text(canvas, "1:" + Math.Round(1 / (scale / 72 * 0.0254)).ToString("#,0", CultureInfo.InvariantCulture) + " (printed on A4)",
            box.Right - 4, box.Bottom - 5, 6.5f, false, SKTextAlign.Right, muted);
    }

    private static SKPath PathOf(Geometry geometry, Func<Coordinate, SKPoint> toPage)
    {
        using var path = new SKPathBuilder { FillType = SKPathFillType.EvenOdd };
        for (var g = 0; g < geometry.NumGeometries; g++)
        {
            if (geometry.GetGeometryN(g) is not Polygon polygon) continue;
            foreach (var ring in new[] { polygon.ExteriorRing }.Concat(polygon.InteriorRings))
            {
                var cs = ring.Coordinates;
                for (var i = 0; i < cs.Length; i++)
                {
                    if (i == 0) path.MoveTo(toPage(cs[i]));
                    else path.LineTo(toPage(cs[i]));
                }
                path.Close();
            }
        }
        return path.Detach();
    }

    /// <summary>The QR code as vector squares (crisp at any zoom), quiet zone included.</summary>
    private static void DrawQr(SKCanvas canvas, string text, SKRect box)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var matrix = data.ModuleMatrix;
        var n = matrix.Count;
        var module = box.Width / n;
        using var white = new SKPaint { Style = SKPaintStyle.Fill, Color = SKColors.White };
        using var black = new SKPaint { Style = SKPaintStyle.Fill, Color = SKColors.Black, IsAntialias = false };
        canvas.DrawRect(box, white);
        using var path = new SKPathBuilder();
        for (var row = 0; row < n; row++)
            for (var col = 0; col < n; col++)
                if (matrix[row][col])
                    path.AddRect(new SKRect(box.Left + col * module, box.Top + row * module, box.Left + (col + 1) * module, box.Top + (row + 1) * module));
        using var built = path.Detach();
        canvas.DrawPath(built, black);
    }

    private static SKTypeface LoadFont(string file)
    {
        var path = Path.Combine(FontDirectory, file);
        return (File.Exists(path) ? SKTypeface.FromFile(path) : null) ?? SKTypeface.Default;
    }

    public void Dispose()
    {
        _latin.Dispose();
        _latinBold.Dispose();
        _arabic.Dispose();
        _arabicBold.Dispose();
    }
}
