using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>The viewer draws the councils and projects layers, tells what a clicked council or project is, and draws the
/// investment-versus-need map (issue 13), in headless chromium against the real service with Rio's data. Codes CDCV-…
/// are used by no other test.</summary>
public class CommunityViewerTests(ViewerBrowser b) : IClassFixture<ViewerBrowser>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheViewerDrawsCouncilsAndProjectsByStatusTellsWhatAClickedOneIsAndColoursSettlementsByInvestmentAgainstNeed()
    {
        b.Require();
        // A council over Rocinha (men only: it breaks the composition rule) with a contracted drain at its centre.
        await using (var cmd = b.Db.DataSource.CreateCommand("""
            WITH s AS (SELECT city_id, geom FROM settlements WHERE name = 'Rocinha' ORDER BY id LIMIT 1),
            c AS (INSERT INTO councils (city_id, code, name, geom) SELECT city_id, 'CDCV-1', 'Conselho Rocinha', geom FROM s RETURNING city_id, id, geom),
            m AS (INSERT INTO council_members (city_id, council_id, name, sex, displaced) SELECT city_id, id, 'Test Member', 'male', true FROM c RETURNING 1)
            INSERT INTO projects (city_id, council_id, code, name, type, contract_amount, status, geom)
            SELECT city_id, id, 'CDCV-1-P1', 'Drain', 'drainage', 90000, 'contracted', ST_PointOnSurface(geom) FROM c, (SELECT count(*) FROM m) x
            """))
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync(Ct));
        await using (var cmd = b.Db.DataSource.CreateCommand("""
            INSERT INTO community_action_plans (city_id, council_id, adopted_on, needs)
            SELECT city_id, id, '2026-03-01', ARRAY['drainage', 'water'] FROM councils WHERE code = 'CDCV-1'
            """))
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync(Ct));
        // The project sits at the council's point on surface; the council is clicked 80 m away from it, still inside.
        double lon, lat, councilLon, councilLat;
        await using (var cmd = b.Db.DataSource.CreateCommand("""
            WITH c AS (SELECT geom, ST_PointOnSurface(geom) AS p FROM councils WHERE code = 'CDCV-1'),
            q AS (SELECT p, ST_PointOnSurface(ST_Difference(geom, ST_Buffer(p::geography, 80)::geometry)) AS away FROM c)
            SELECT ST_X(p), ST_Y(p), ST_X(away), ST_Y(away) FROM q
            """))
        await using (var r = await cmd.ExecuteReaderAsync(Ct))
        {
            await r.ReadAsync(Ct);
            (lon, lat, councilLon, councilLat) = (r.GetDouble(0), r.GetDouble(1), r.GetDouble(2), r.GetDouble(3));
        }

        var outside = new List<string>();
        var page = await b.PageAsync(outside);
        await page.GotoAsync(string.Create(CultureInfo.InvariantCulture, $"{b.BaseUrl}/viewer/?city=rio-de-janeiro&lon={lon:R}&lat={lat:R}&z=16"));
        await page.WaitForFunctionAsync("window.umViewer && umViewer.ready && umViewer.stats.features.councils > 0 && umViewer.stats.features.projects > 0",
            null, new PageWaitForFunctionOptions { Timeout = 15_000, PollingInterval = 50 });
        Assert.True(await page.Locator("#layer-list input[data-layer=councils]").IsCheckedAsync());
        var legend = await page.Locator("#layer-list").InnerTextAsync();
        Assert.Contains("composition ok", legend, StringComparison.Ordinal);
        Assert.Contains("in-progress", legend, StringComparison.Ordinal);

        // A click on the project shows its money and status; a click elsewhere in the council its composition and needs.
        await ViewerPage.ClickLonLatAsync(page, lon, lat);
        await ViewerPage.WaitAsync(page, "umViewer.stats.communityInfo === 'projects:CDCV-1-P1'");
        var project = await page.Locator("#community-info").InnerTextAsync();
        Assert.Contains("contracted", project, StringComparison.Ordinal);
        Assert.Contains("90,000", project, StringComparison.Ordinal);
        Assert.True(await page.Locator("#community-info").IsVisibleAsync());
        await ViewerPage.ClickLonLatAsync(page, councilLon, councilLat);
        await ViewerPage.WaitAsync(page, "umViewer.stats.communityInfo === 'councils:CDCV-1'");
        var council = await page.Locator("#community-info").InnerTextAsync();
        Assert.Contains("breaks the rule: no-woman", council, StringComparison.Ordinal);
        Assert.Contains("drainage › water", council, StringComparison.Ordinal);
        Assert.DoesNotContain("Test Member", council, StringComparison.Ordinal);
        Assert.True(await page.Locator("#community-info").IsVisibleAsync());

        await page.CheckAsync("#investment-need");
        await page.WaitForFunctionAsync("umViewer.stats.investmentNeed > 0", null, new PageWaitForFunctionOptions { Timeout = 15_000, PollingInterval = 50 });
        Assert.Contains("coverage", await page.Locator("#investment-need-status").InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await page.Locator("#investment-need-legend").IsVisibleAsync());
        await page.WaitForTimeoutAsync(300);
        Assert.True(await page.EvaluateAsync<int>("umViewer.paintedPixels()") > 0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(b.ArtifactsDir, "viewer-community.png") });
        var stats = await page.EvaluateAsync<JsonElement>("JSON.parse(JSON.stringify(umViewer.stats))");
        Assert.Equal(0, stats.GetProperty("tileErrors").GetInt32());
        Assert.Empty(outside);
    }
}
