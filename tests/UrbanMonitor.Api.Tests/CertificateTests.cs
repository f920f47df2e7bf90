using System.Diagnostics;
using System.Net;
using SkiaSharp;
using SkiaSharp.HarfBuzz;
using UrbanMonitor.Api.Certificates;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// Occupancy certificates on the real Mazar data: the PDF read back with poppler (pdftotext, pdftoppm), its QR code
/// decoded with zbarimg and followed anonymously to the verification page; who may get one; Dari shaping.
/// </summary>
public sealed class CertificateTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private const string DariHolder = "فاطمه کریمی";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CertificateOfARegisteredPropertyIsABilingualPdfWhoseQrCodeOpensAVerificationPageWithTheHolderAndNoIdNumbers()
    {
        service.Require();
        var id = await PropertyAsync(service, service.FreeSpot(), "601", DariHolder, side: 18);
        using var officer = service.Client(Officer);
        using var response = await officer.GetAsync($"/api/properties/{id}/certificate", Ct);
        var pdf = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(pdf)}");
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
        var number = response.Headers.GetValues("X-Certificate-Number").Single();
        Assert.Matches("^MZR-OC-[0-9]{6,}$", number);

        using var dir = new TempDir();
        var pdfPath = Path.Combine(dir.Path, "certificate.pdf");
        await File.WriteAllBytesAsync(pdfPath, pdf, Ct);

        // The text layer: English labels, the code, the number and the Dari holder name in logical order.
        var text = Run("pdftotext", "-enc", "UTF-8", pdfPath, "-");
        foreach (var label in new[] { "Occupancy Certificate", "Certificate number", "Property code", "Area", "Holders and right",
                     "Vertex coordinates", "Parcel map", "Solar Hijri", "Gregorian", "MZR-1-77-601", number, "Ownership", "EPSG:32642" })
            Assert.Contains(label, text);
        // Shaped Dari reaches the text layer as the joining forms drawn (Arabic presentation forms, U+FB50–U+FEFF), in
        // logical order: folded back (NFKC) they are the name as stored. Unshaped text would have no such forms.
        Assert.Contains(text, c => c is >= '\uFB50' and <= '\uFEFF' and not '\uFEFF');
        var dari = new string(text.Normalize(System.Text.NormalizationForm.FormKC).Where(c => c is not ('\u202A' or '\u202B' or '\u202C' or '\u200F' or '\u200E')).ToArray());
        Assert.Contains(DariHolder, dari);
        Assert.Contains("سند تصرف", dari);
        Assert.DoesNotContain(DariHolder, text); // the raw text layer holds contextual forms, not isolated letters
        Assert.DoesNotContain("TZ-601", text);

        // The page as an image: its QR code holds the public verification URL.
        Run("pdftoppm", "-png", "-r", "150", "-singlefile", pdfPath, Path.Combine(dir.Path, "page"));
        var png = Path.Combine(dir.Path, "page.png");
        using (var bitmap = SKBitmap.Decode(png))
        {
            Assert.InRange(bitmap.Width, 1239, 1242); // A4 at 150 dpi
            Assert.InRange(bitmap.Height, 1752, 1756);
        }
        // URBANMONITOR_CERTIFICATE_OUT=DIR keeps the PDF and its PNG for a person to look at.
        if (Environment.GetEnvironmentVariable("URBANMONITOR_CERTIFICATE_OUT") is { Length: > 0 } keep)
        {
            Directory.CreateDirectory(keep);
            File.Copy(pdfPath, Path.Combine(keep, "certificate.pdf"), overwrite: true);
            File.Copy(png, Path.Combine(keep, "certificate.png"), overwrite: true);
        }
        var url = Run("zbarimg", "--quiet", "--raw", png).Trim();
        Assert.StartsWith($"http://localhost/verify/{number}?k=", url);

        // Anyone may follow it: the page shows what the certificate shows, the holder included, and no ID number.
        using var anonymous = service.Client();
        var pathAndQuery = new Uri(url).PathAndQuery;
        using var page = await anonymous.GetAsync(pathAndQuery, Ct);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains(DariHolder, html);
        Assert.Contains(number, html);
        Assert.Contains("MZR-1-77-601", html);
        Assert.Contains("data-current=\"true\"", html);
        Assert.Contains("Ownership", html);
        Assert.DoesNotContain("TZ-", html);
        Assert.Matches("14[0-9]{2}/[0-9]{2}/[0-9]{2}", html);

        // A wrong key or number finds nothing.
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/verify/{number}?k=wrong-key-wrong-key-00", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(pathAndQuery.Replace(number, "MZR-OC-999999"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/verify/{number}", Ct)).StatusCode);

        // Re-issuing the same version gives the same certificate (number, key, bytes).
        using var again = await officer.GetAsync($"/api/properties/{id}/certificate", Ct);
        Assert.Equal(number, again.Headers.GetValues("X-Certificate-Number").Single());
        Assert.Equal(pdf, await again.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(1L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM certificates WHERE property_id = $1", id));

        // Retiring the property: the page says the certificate is no longer current, and no new one is issued.
        using var retire = new HttpRequestMessage(HttpMethod.Delete, $"/api/properties/{id}");
        retire.Headers.TryAddWithoutValidation("If-Match", again.Headers.ETag?.Tag ?? (await officer.GetAsync($"/api/properties/{id}", Ct)).Headers.ETag!.Tag);
        await OkAsync(await officer.SendAsync(retire, Ct));
        var after = await (await anonymous.GetAsync(pathAndQuery, Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("data-current=\"false\"", after);
        Assert.Contains(DariHolder, after);
        await AssertProblemAsync(await officer.GetAsync($"/api/properties/{id}/certificate", Ct), 409, "certificate-property-not-registered");
    }

    [Fact]
    public async Task OnlyStaffOfTheDistrictGetACertificateAndOnlyForARegisteredPropertyWithARight()
    {
        service.Require();
        var surveyed = await PropertyAsync(service, service.FreeSpot(), "602", "Karim Naseri", upTo: "surveyed");
        var registered = await PropertyAsync(service, service.FreeSpot(), "603", "Karim Naseri");
        using var officer = service.Client(Officer);

        await AssertProblemAsync(await officer.GetAsync($"/api/properties/{surveyed}/certificate", Ct), 409, "certificate-property-not-registered");
        AssertUnauthorized(await service.Client().GetAsync($"/api/properties/{registered}/certificate", Ct));
        using var elsewhere = service.Client(TestTokens.For("land-officer", "mazar-e-sharif:2"));
        await AssertProblemAsync(await elsewhere.GetAsync($"/api/properties/{registered}/certificate", Ct), 403, "forbidden-district");
        using var planner = service.Client(TestTokens.For("planner", "mazar-e-sharif:1"));
        await AssertProblemAsync(await planner.GetAsync($"/api/properties/{registered}/certificate", Ct), 403, "forbidden-role");
        await AssertProblemAsync(await officer.GetAsync("/api/properties/987654321/certificate", Ct), 404, "property-not-found");

        // Registered without any right: nothing to certify.
        using var supervisor = service.Client(Supervisor);
        var bare = (await OkAsync(await officer.PostAsync("/api/properties",
            Feature(Square(service.FreeSpot()), "1", "77", "604"), Ct), HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await OkAsync(await supervisor.PostAsync($"/api/properties/{bare}/verify", null, Ct));
        await OkAsync(await supervisor.PostAsync($"/api/properties/{bare}/register", null, Ct));
        await AssertProblemAsync(await supervisor.GetAsync($"/api/properties/{bare}/certificate", Ct), 422, "certificate-without-right");
        Assert.Equal(0L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM certificates WHERE property_id IN ($1, $2)", surveyed, bare));
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = System.Text.Encoding.UTF8 };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException(file + " did not start (install poppler-utils and zbar-tools).");
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} exited {p.ExitCode}: {stderr}");
        return stdout;
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("um-certificate-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

/// <summary>The certificate's text and dates without a database: HarfBuzz shaping of Dari, the Solar Hijri calendar.</summary>
public sealed class CertificateTextTests
{
    private const string DariHolder = "فاطمه کریمی";

    [Fact]
    public void DariTextIsShapedIntoJoiningFormsRightToLeft()
    {
        using var pdf = new CertificatePdf();
        var typeface = pdf.ArabicTypeface;
        Assert.Contains("Naskh", typeface.FamilyName);
        using var font = new SKFont(typeface, 20);
        using var shaper = new SKShaper(typeface);
        var shaped = shaper.Shape(DariHolder, font);
        var nominal = font.GetGlyphs(DariHolder);
        // Unshaped, every letter is its isolated form; shaped, the joined letters take initial/medial/final forms
        // (other glyphs), laid out right to left: the first letter's glyph is the right-most one.
        var shapedGlyphs = shaped.Codepoints.Select(c => (ushort)c).ToArray();
        Assert.NotEqual(nominal, shapedGlyphs);
        Assert.NotEqual(nominal.Reverse().ToArray(), shapedGlyphs);
        Assert.True(shapedGlyphs.Count(g => !nominal.Contains(g)) >= 4, "shaping should substitute joining forms");
        Assert.Equal(0u, shaped.Clusters[^1]); // visual order: the last glyph drawn (right-most) is the text's first letter
        Assert.True(shaped.Width < font.MeasureText(DariHolder), "joined letters take less room than isolated ones");
    }

    [Fact]
    public void SolarHijriDatesFollowThePersianCalendarInKabulTime()
    {
        var d = UrbanMonitor.Domain.Calendars.SolarHijri.Of(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero), new TimeSpan(4, 30, 0));
        Assert.Equal("1405/09/03", d.Numeric);
        Assert.Equal("3 Qaws 1405", d.Latin);
        Assert.Equal("۳ قوس ۱۴۰۵", d.Dari);
        // 21:00 UTC on 20 March 2026 is already 21 March (Nowruz, 1 Hamal 1405) in Kabul.
        Assert.Equal("1405/01/01", UrbanMonitor.Domain.Calendars.SolarHijri.Of(new DateTimeOffset(2026, 3, 20, 21, 0, 0, TimeSpan.Zero), new TimeSpan(4, 30, 0)).Numeric);
    }
}
