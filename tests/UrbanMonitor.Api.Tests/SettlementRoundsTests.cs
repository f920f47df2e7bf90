using System.Net;
using System.Text.Json;

namespace UrbanMonitor.Api.Tests;

/// <summary>Settlements imported in survey rounds through the import jobs: attributes, validation, change, report.</summary>
public class SettlementRoundsTests(ImportService s) : IClassFixture<ImportService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Props(string code, string date, string extra = "") =>
        $"{{\"code\":\"{code}\",\"name\":\"Kārte-ye Sakhi {code} کارته سخی\",\"population\":1200,\"households\":240,\"surveyed_on\":\"{date}\"{extra}}}";

    [Fact]
    public async Task ASettlementRedrawnInASecondSurveyRoundReportsAreaAddedAndLostAndTheYearlyGrowthRate()
    {
        await s.CityAsync("rounds-city");
        const string shares = ",\"lacks_water\":0.2,\"lacks_sanitation\":0.62,\"lacks_living_area\":0.1,\"lacks_durable_housing\":0.3,\"lacks_tenure_security\":0.45,\"upgrading_status\":\"planned\"";
        var first = await s.ImportAsync("/api/cities/rounds-city/layers/settlements?survey_round=2020", ImportService.FeatureCollection(
            ImportService.Square(10.0, 0.0, 0.001, Props("A", "2020-06-01", shares)),
            ImportService.Square(10.01, 0.0, 0.001, Props("B", "2020-06-01"))));
        Assert.Equal("succeeded", first.GetProperty("status").GetString());
        // Round 2030: A moved east by half its width and grown; B unchanged.
        var second = await s.ImportAsync("/api/cities/rounds-city/layers/settlements?survey_round=2030", ImportService.FeatureCollection(
            ImportService.Square(10.0005, 0.0, 0.0012, Props("A", "2030-06-01", shares)),
            ImportService.Square(10.01, 0.0, 0.001, Props("B", "2030-06-01"))));
        Assert.Equal("succeeded", second.GetProperty("status").GetString());

        var id = await s.Db.ScalarAsync<long>("SELECT s.id FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'rounds-city' AND s.code = 'A'");
        using var doc = JsonDocument.Parse(await s.Client.GetStringAsync($"/api/settlements/{id}", Ct));
        var a = doc.RootElement;
        Assert.Equal("2030", a.GetProperty("surveyRound").GetString());
        Assert.Equal("planned", a.GetProperty("upgradingStatus").GetString());
        Assert.Equal(0.62, a.GetProperty("deprivations").GetProperty("sanitation").GetDouble());
        Assert.Equal("slum", a.GetProperty("slumClassification").GetString());
        Assert.Contains("کارته سخی", a.GetProperty("name").GetString());
        Assert.Equal(2, a.GetProperty("rounds").GetArrayLength());

        var change = a.GetProperty("change");
        Assert.Equal("2020", change.GetProperty("from").GetString());
        Assert.Equal("2030", change.GetProperty("to").GetString());
        const string rounds = "FROM settlement_rounds a, settlement_rounds b, cities c WHERE c.slug = 'rounds-city' AND a.city_id = c.id AND b.city_id = c.id AND a.code = 'A' AND b.code = 'A' AND a.survey_round = '2020' AND b.survey_round = '2030'";
        var added = await s.Db.ScalarAsync<double>("SELECT ST_Area(ST_Difference(b.geom, a.geom)::geography) " + rounds);
        var lost = await s.Db.ScalarAsync<double>("SELECT ST_Area(ST_Difference(a.geom, b.geom)::geography) " + rounds);
        var a1 = await s.Db.ScalarAsync<double>("SELECT ST_Area(a.geom::geography) " + rounds);
        var a2 = await s.Db.ScalarAsync<double>("SELECT ST_Area(b.geom::geography) " + rounds);
        Assert.True(added > 1000 && lost > 1000, $"added {added}, lost {lost}");
        Assert.Equal(added, change.GetProperty("areaAddedM2").GetDouble(), 0.1);
        Assert.Equal(lost, change.GetProperty("areaLostM2").GetDouble(), 0.1);
        var years = (new DateTime(2030, 6, 1) - new DateTime(2020, 6, 1)).TotalDays / 365.25;
        Assert.Equal(Math.Pow(a2 / a1, 1 / years) - 1, change.GetProperty("yearlyGrowthRate").GetDouble(), 4);
        Assert.True(change.GetProperty("yearlyGrowthRate").GetDouble() > 0.03);

        // Asking for rounds explicitly gives the same comparison; B, unchanged, lost and added nothing.
        using var explicitRounds = JsonDocument.Parse(await s.Client.GetStringAsync($"/api/settlements/{id}?from=2020&to=2030", Ct));
        Assert.Equal(added, explicitRounds.RootElement.GetProperty("change").GetProperty("areaAddedM2").GetDouble(), 0.1);
        var b = await s.Db.ScalarAsync<long>("SELECT s.id FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'rounds-city' AND s.code = 'B'");
        using var bDoc = JsonDocument.Parse(await s.Client.GetStringAsync($"/api/settlements/{b}", Ct));
        Assert.Equal(0, bDoc.RootElement.GetProperty("change").GetProperty("areaAddedM2").GetDouble());
        Assert.Equal(0, bDoc.RootElement.GetProperty("change").GetProperty("yearlyGrowthRate").GetDouble());
        Assert.Equal("unknown", bDoc.RootElement.GetProperty("slumClassification").GetString());

        // The printable report: HTML with the analysis and a PNG map drawn on the server.
        using var html = await s.Client.GetAsync($"/api/settlements/{id}/report.html", Ct);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        var page = await html.Content.ReadAsStringAsync(Ct);
        Assert.Contains("کارته سخی", page);
        Assert.Contains($"/api/settlements/{id}/map.png", page);
        using var png = await s.Client.GetAsync($"/api/settlements/{id}/map.png", Ct);
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        var bytes = await png.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);
        using var bitmap = SkiaSharp.SKBitmap.Decode(bytes);
        Assert.Equal(800, bitmap.Width);
        // The settlement is drawn in red in the middle of the map.
        var centre = bitmap.GetPixel(400, 300);
        Assert.True(centre.Red > 180 && centre.Green < 150, $"centre pixel {centre}");
        Assert.Equal(HttpStatusCode.NotFound, (await s.Client.GetAsync("/api/settlements/987654321/map.png", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await s.Client.GetAsync($"/api/settlements/{id}?from=", Ct)).StatusCode);
    }

    [Fact]
    public async Task NegativePopulationAShareAboveOneAndAnUnknownUpgradingStatusAreRejectedPerFeature()
    {
        await s.CityAsync("bad-settlements");
        var job = await s.ImportAsync("/api/cities/bad-settlements/layers/settlements?mode=valid-only", ImportService.FeatureCollection(
            ImportService.Square(20.0, 0.0, 0.001, "{\"code\":\"OK\",\"population\":10,\"lacks_water\":1}"),
            ImportService.Square(20.01, 0.0, 0.001, "{\"code\":\"NEG\",\"population\":-5}"),
            ImportService.Square(20.02, 0.0, 0.001, "{\"code\":\"PCT\",\"lacks_sanitation\":45}"),
            ImportService.Square(20.03, 0.0, 0.001, "{\"code\":\"ST\",\"upgrading_status\":\"finished\"}")));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(1, job.GetProperty("featuresPublished").GetInt64());
        var issues = job.GetProperty("issues").EnumerateArray().Select(i => (i.GetProperty("feature").GetInt64(), i.GetProperty("rule").GetString())).ToArray();
        Assert.Equal([(1L, "type-population"), (2L, "type-lacks_sanitation"), (3L, "type-upgrading_status")], issues);
        Assert.Equal("slum", await s.Db.ScalarAsync<string>("SELECT slum_class FROM settlements WHERE code = 'OK'"));
        // The year of no survey date is the current one.
        Assert.Equal(DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture),
            await s.Db.ScalarAsync<string>("SELECT survey_round FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'bad-settlements'"));

        // All-or-nothing: one bad share fails the whole job; an unknown CRS is refused at once.
        var strict = await s.ImportAsync("/api/cities/bad-settlements/layers/settlements", ImportService.FeatureCollection(
            ImportService.Square(20.0, 0.0, 0.001, "{\"code\":\"X\",\"lacks_tenure_security\":1.5}")));
        Assert.Equal("failed", strict.GetProperty("status").GetString());
        using var crs = await s.UploadAsync("/api/cities/bad-settlements/layers/settlements?crs=EPSG:999999",
            ImportService.FeatureCollection(ImportService.Square(20.0, 0.0, 0.001, "{\"code\":\"Y\"}")));
        Assert.True((int)crs.StatusCode is >= 400 and < 500, crs.StatusCode.ToString());
        Assert.Equal(1, await s.Db.ScalarAsync<long>("SELECT count(*) FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'bad-settlements'"));
    }
}
