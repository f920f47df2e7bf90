using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Indicators;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.ViewerPage;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// The viewer's dashboards in headless chromium against the real service and PostGIS with Mazar's and Rio's data: the
/// indicator choropleth draws with its legend and a series chart, a supervisor's work queue lists a transaction a land
/// officer lodged and approving it there applies it, and two survey rounds of a settlement are compared on the map.
/// No request leaves 127.0.0.1. Screenshots go to TestResults/viewer/.
/// </summary>
public sealed class ViewerDashboardBrowserTests(ViewerBrowser b) : IClassFixture<ViewerBrowser>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Client(string token) => b.Server!.CreateClient().WithToken(token);

    private async Task SignInAsync(IPage page, string login)
    {
        await page.ClickAsync("#signin-btn");
        await page.ClickAsync($"#demo-users button[data-login='{login}']");
        await page.Locator("#signout-btn").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
    }

    private async Task HideLayersAsync(IPage page, params string[] ids)
    {
        foreach (var id in ids) await page.UncheckAsync($"#layer-list input[data-layer={id}]");
        await page.WaitForTimeoutAsync(200);
    }

    [Fact]
    public async Task TheIndicatorChoroplethDrawsEachDistrictWithALegendAndASeriesChart()
    {
        b.Require();
        var city = (await IndicatorEngine.FindCityAsync(b.Db.DataSource, "mazar-e-sharif", Ct))!;
        await IndicatorStore.RecomputeCityAsync(b.Db.DataSource, city, null, Ct);
        var outside = new List<string>();
        var page = await b.PageAsync(outside);
        await page.GotoAsync($"{b.BaseUrl}/viewer/?city=mazar-e-sharif");
        await WaitAsync(page, "umViewer.ready");
        // Every layer off: whatever is painted now is the choropleth.
        foreach (var box in await page.Locator("#layer-list input[type=checkbox]").AllAsync()) await box.UncheckAsync();
        await page.WaitForTimeoutAsync(300);
        Assert.Equal(0, await page.EvaluateAsync<int>("umViewer.paintedPixels()"));

        await page.ClickAsync("#tab-indicators");
        var card = page.Locator("article.indicator[data-code='registration-coverage']");
        await card.Locator("button[data-action=map]").ClickAsync();
        await WaitAsync(page, "umViewer.stats.features.indicators > 0 && umViewer.paintedPixels() > 1000");
        // Mazar's ten districts, each with its stored result, and the legend's classes from those values.
        var choropleth = await page.EvaluateAsync<JsonElement>("JSON.parse(JSON.stringify(umViewer.choropleth))");
        Assert.Equal(city.Districts.Count, choropleth.GetProperty("districts").GetInt32());
        var legend = await page.Locator("#choropleth-legend li").AllInnerTextsAsync();
        Assert.Equal(choropleth.GetProperty("breaks").GetArrayLength() + 1, legend.Count); // the classes and "no value"
        Assert.True(legend.Count >= 2);
        // The district holding the most parcels is drawn in a class colour, not the no-value grey.
        var district = await ViewerPage.PointAsync(b.Db, """
            SELECT ST_X(p), ST_Y(p), 0::bigint FROM (SELECT ST_PointOnSurface(d.geom) p FROM districts d JOIN cities c ON c.id = d.city_id
            WHERE c.slug = 'mazar-e-sharif' AND d.code = (SELECT district_code FROM properties GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)) x
            """);
        var px = await PixelAsync(page, district.Lon, district.Lat);
        var colour = await page.EvaluateAsync<int[]>($"umViewer.colourAt({px[0].ToString(CultureInfo.InvariantCulture)}, {px[1].ToString(CultureInfo.InvariantCulture)})");
        Assert.True(colour[3] > 0 && colour[0] > colour[2], $"the district's pixel is {string.Join(",", colour)}");

        await card.Locator("button[data-action=series]").ClickAsync();
        await card.Locator("svg.line-chart circle.point").First.WaitForAsync();
        Assert.Contains("registration-coverage", await card.Locator("svg.line-chart").GetAttributeAsync("aria-label") ?? "", StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(b.ArtifactsDir, "viewer-choropleth.png") });
        Assert.Empty(outside);
    }

    [Fact]
    public async Task ASupervisorsWorkQueueListsALodgedTransactionAndApprovingItThereAppliesItAndResolvesADispute()
    {
        b.Require();
        // A land officer of district 2 registers a parcel (a supervisor verifies and registers it) and lodges its sale.
        var officer = Client(ViewerBrowser.Officer2);
        var supervisor = Client(ViewerBrowser.Supervisor2);
        using var created = await officer.PostAsync("/api/properties", Feature(Square(b.SpotInDistrict2, 20, east: -45), "2", "888", "1",
            rights: new[] { new { kind = "ownership", share = 1, party = new { kind = "person", name = "Gul Ahmad", idDocument = "TZ-888" } } }), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await JsonAsync(created)).GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.OK, (await supervisor.PostAsync($"/api/properties/{id}/verify", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await supervisor.PostAsync($"/api/properties/{id}/register", null, Ct)).StatusCode);
        using var pdf = new ByteArrayContent(TransactionsTestKit.Pdf("sale deed"));
        pdf.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        using var upload = await officer.PostAsync($"/api/documents?record=property:{id}&kind=deed&name=deed.pdf", pdf, Ct);
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        using var lodge = await officer.PostAsync($"/api/properties/{id}/transactions", TransactionsTestKit.Json(new
        {
            kind = "sale", documentId = (await JsonAsync(upload)).GetProperty("id").GetInt64(),
            open = new[] { new { share = 1, party = new { name = "Mariam Sadat" } } },
        }), Ct);
        Assert.Equal(HttpStatusCode.Created, lodge.StatusCode);
        var tx = (await JsonAsync(lodge)).GetProperty("id").GetInt64();
        const string Code = "MZR-2-888-1";
        // A neighbour objects to another parcel's boundary: an open dispute for the supervisor to resolve.
        using var other = await officer.PostAsync("/api/properties", Feature(Square(b.SpotInDistrict2, 20, east: -45, north: -40), "2", "888", "2"), Ct);
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        var disputed = (await JsonAsync(other)).GetProperty("id").GetInt64();
        using var objection = await Client(TestTokens.For("planner")).PostAsync($"/api/properties/{disputed}/disputes",
            TransactionsTestKit.Json(new { kind = "boundary", statement = "The wall stands on my land." }), Ct);
        Assert.Equal(HttpStatusCode.Created, objection.StatusCode);
        var dispute = (await JsonAsync(objection)).GetProperty("id").GetInt64();
        var item = $"#queue-transactions li[data-id='{tx}']";

        // The officer who lodged it sees it waiting, without the actions.
        var outside = new List<string>();
        var officerPage = await b.PageAsync(outside);
        await officerPage.GotoAsync($"{b.BaseUrl}/viewer/?city=mazar-e-sharif");
        await WaitAsync(officerPage, "umViewer.ready");
        await SignInAsync(officerPage, "test.officer");
        await officerPage.ClickAsync("#tab-queue");
        await officerPage.Locator(item).WaitForAsync();
        Assert.Contains(Code, await officerPage.Locator(item).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await officerPage.Locator($"{item} button[data-action=approve]").CountAsync());
        Assert.Equal(1, await officerPage.Locator($"{item} .why-not").CountAsync());

        // The supervisor approves it from the queue: the sale is applied.
        var page = await b.PageAsync(outside);
        await page.GotoAsync($"{b.BaseUrl}/viewer/?city=mazar-e-sharif");
        await WaitAsync(page, "umViewer.ready");
        await SignInAsync(page, "test.supervisor");
        await page.ClickAsync("#tab-queue");
        await page.Locator(item).WaitForAsync();
        Assert.Contains(Code, await page.Locator(item).InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(b.ArtifactsDir, "viewer-work-queue.png") });
        await page.ClickAsync($"{item} button[data-action=approve]");
        await page.Locator($"{item}[data-status=approved]").WaitForAsync();
        Assert.Equal("approved", await b.Db.ScalarAsync<string>("SELECT status FROM transactions WHERE id = $1", tx));
        Assert.Equal("Mariam Sadat", await b.Db.ScalarAsync<string>("""
            SELECT pa.name FROM rights r JOIN parties pa ON pa.id = r.party_id WHERE r.property_id = $1 AND r.valid_to IS NULL
            """, id));
        // The dispute is resolved with a decision and its document, uploaded from the queue.
        var disputeItem = $"#queue-disputes li[data-id='{dispute}']";
        await page.ClickAsync($"{disputeItem} button[data-action=resolve]");
        await page.FillAsync($"{disputeItem} textarea[name=decision]", "Surveyed again: the wall is on the parcel's line.");
        await page.Locator($"{disputeItem} input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = "decision.pdf", MimeType = "application/pdf", Buffer = TransactionsTestKit.Pdf("decision"),
        });
        await page.ClickAsync($"{disputeItem} form button[type=submit]");
        await page.Locator($"{disputeItem}[data-status=resolved]").WaitForAsync();
        Assert.Equal("resolved", await b.Db.ScalarAsync<string>("SELECT status FROM disputes WHERE id = $1", dispute));
        Assert.Equal("decision", await b.Db.ScalarAsync<string>(
            "SELECT k.kind FROM disputes d JOIN documents k ON k.city_id = d.city_id AND k.id = d.decision_document_id WHERE d.id = $1", dispute));
        // Reloaded, the queue no longer holds them.
        await page.ClickAsync("#tab-layers");
        await page.ClickAsync("#tab-queue");
        await page.Locator("#queue-transactions").WaitForAsync();
        await WaitAsync(page, "umViewer.stats.queueLoaded >= 2");
        Assert.Equal(0, await page.Locator(item).CountAsync());
        Assert.Equal(0, await page.Locator(disputeItem).CountAsync());
        Assert.Empty(outside);
    }

    [Fact]
    public async Task TwoSurveyRoundsOfASettlementAreComparedOnTheMapWithTheAddedAndLostAreas()
    {
        b.Require();
        // A second survey round of the largest settlement: the boundary moved about 55 m east.
        var s = await ViewerPage.PointAsync(b.Db, "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), id FROM settlements ORDER BY ST_Area(geom) DESC LIMIT 1");
        var earlier = await b.Db.ScalarAsync<string>("SELECT survey_round FROM settlements WHERE id = $1", s.Id);
        await b.Db.ScalarAsync<int>("""
            WITH u AS (UPDATE settlements SET survey_round = '2030', surveyed_on = '2030-01-01', geom = ST_Multi(ST_Translate(geom, 0.0005, 0))
                       WHERE id = $1 RETURNING 1) SELECT count(*)::int FROM u
            """, s.Id);
        var added = await ViewerPage.PointAsync(b.Db, $"""
            SELECT ST_X(p), ST_Y(p), 0::bigint FROM (SELECT ST_PointOnSurface(ST_Difference(b.geom, a.geom)) p
            FROM settlement_rounds a JOIN settlement_rounds b ON b.city_id = a.city_id AND b.code = a.code
            WHERE a.settlement_id = {s.Id} AND a.survey_round = '{earlier}' AND b.survey_round = '2030') x
            """);
        var lost = await ViewerPage.PointAsync(b.Db, $"""
            SELECT ST_X(p), ST_Y(p), 0::bigint FROM (SELECT ST_PointOnSurface(ST_Difference(a.geom, b.geom)) p
            FROM settlement_rounds a JOIN settlement_rounds b ON b.city_id = a.city_id AND b.code = a.code
            WHERE a.settlement_id = {s.Id} AND a.survey_round = '{earlier}' AND b.survey_round = '2030') x
            """);
        var centre = await ViewerPage.PointAsync(b.Db, $"SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), id FROM settlements WHERE id = {s.Id}");

        var outside = new List<string>();
        var page = await b.PageAsync(outside);
        await page.GotoAsync(Url(b.BaseUrl, centre.Lon, centre.Lat, 16));
        await WaitAsync(page, "umViewer.ready && umViewer.stats.features.settlements > 0");
        await page.WaitForTimeoutAsync(300);
        await HideLayersAsync(page, "properties");
        await ClickLonLatAsync(page, centre.Lon, centre.Lat);
        await page.Locator("#compare-rounds").WaitForAsync();
        Assert.Equal(earlier, await page.InputValueAsync("#round-from"));
        Assert.Equal("2030", await page.InputValueAsync("#round-to"));
        // The settlements' own fill would tint the comparison: turn it off, then compare.
        await page.ClickAsync("#tab-layers");
        await HideLayersAsync(page, "settlements", "districts");
        await page.ClickAsync("#tab-planner");
        await page.ClickAsync("#compare-rounds");
        await WaitAsync(page, "umViewer.stats.rounds && umViewer.stats.rounds.added > 0");
        await page.WaitForTimeoutAsync(400);
        Assert.Equal(4, await page.Locator("#rounds-legend li").CountAsync());
        using (var analysis = JsonDocument.Parse(await b.Server!.CreateClient().GetStringAsync($"/api/settlements/{s.Id}", Ct)))
        {
            var change = analysis.RootElement.GetProperty("change");
            var drawn = await page.EvaluateAsync<JsonElement>("JSON.parse(JSON.stringify(umViewer.stats.rounds))");
            Assert.Equal(change.GetProperty("areaAddedM2").GetDouble(), drawn.GetProperty("added").GetDouble());
            Assert.Equal(change.GetProperty("areaLostM2").GetDouble(), drawn.GetProperty("lost").GetDouble());
        }
        // Added area is drawn green, lost area red.
        async Task<int[]> ColourAsync((double Lon, double Lat, long) at)
        {
            var px = await PixelAsync(page, at.Lon, at.Lat);
            return await page.EvaluateAsync<int[]>($"umViewer.colourAt({px[0].ToString(CultureInfo.InvariantCulture)}, {px[1].ToString(CultureInfo.InvariantCulture)})");
        }
        var green = await ColourAsync(added);
        Assert.True(green[1] > green[0] + 40 && green[1] > green[2], $"added area pixel {string.Join(",", green)}");
        var red = await ColourAsync(lost);
        Assert.True(red[0] > red[1] + 40 && red[0] > red[2] + 40, $"lost area pixel {string.Join(",", red)}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(b.ArtifactsDir, "viewer-rounds.png") });
        Assert.Empty(outside);
    }
}
