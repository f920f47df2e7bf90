using System.Net;
using System.Text.Json;

namespace UrbanMonitor.Api.Tests;

/// <summary>Two survey rounds of a settlement for the planner's map: both outlines, the area added and the area lost.</summary>
public class SettlementRoundsMapTests(ImportService s) : IClassFixture<ImportService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Props(string code, string date) =>
        $"{{\"code\":\"{code}\",\"name\":\"Settlement {code}\",\"population\":900,\"surveyed_on\":\"{date}\"}}";

    [Fact]
    public async Task TheComparedRoundsCarryBothOutlinesAndTheAddedAndLostAreasTheAnalysisReports()
    {
        await s.CityAsync("compare-city");
        Assert.Equal("succeeded", (await s.ImportAsync("/api/cities/compare-city/layers/settlements?survey_round=2015", ImportService.FeatureCollection(
            ImportService.Square(20.0, 1.0, 0.001, Props("A", "2015-03-01")),
            ImportService.Square(20.01, 1.0, 0.001, Props("B", "2015-03-01"))))).GetProperty("status").GetString());
        // Round 2025: A moved north by a third of its width and grown; C surveyed for the first time.
        Assert.Equal("succeeded", (await s.ImportAsync("/api/cities/compare-city/layers/settlements?survey_round=2025", ImportService.FeatureCollection(
            ImportService.Square(20.0, 1.0003, 0.0013, Props("A", "2025-03-01")),
            ImportService.Square(20.02, 1.0, 0.001, Props("C", "2025-03-01"))))).GetProperty("status").GetString());
        var id = await s.Db.ScalarAsync<long>("SELECT s.id FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'compare-city' AND s.code = 'A'");

        using var response = await s.Client.GetAsync($"/api/settlements/{id}/rounds.geojson", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var fc = doc.RootElement;
        Assert.Equal("2015", fc.GetProperty("from").GetString());
        Assert.Equal("2025", fc.GetProperty("to").GetString());
        var parts = fc.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("properties").GetProperty("part").GetString()!);
        Assert.Equal(["from", "to", "added", "lost"], parts.Keys);
        Assert.Equal("2015", parts["from"].GetProperty("properties").GetProperty("round").GetString());
        Assert.Equal("2025", parts["to"].GetProperty("properties").GetProperty("round").GetString());

        using var analysis = JsonDocument.Parse(await s.Client.GetStringAsync($"/api/settlements/{id}", Ct));
        var change = analysis.RootElement.GetProperty("change");
        double Area(string part) => parts[part].GetProperty("properties").GetProperty("areaM2").GetDouble();
        Assert.Equal(change.GetProperty("areaAddedM2").GetDouble(), Area("added"));
        Assert.Equal(change.GetProperty("areaLostM2").GetDouble(), Area("lost"));
        Assert.Equal(change.GetProperty("areaFromM2").GetDouble(), Area("from"));
        Assert.Equal(change.GetProperty("areaToM2").GetDouble(), Area("to"));
        Assert.True(Area("added") > 1000 && Area("lost") > 1000, $"added {Area("added")}, lost {Area("lost")}");

        // The added area lies in the later outline and outside the earlier one (PostGIS checks the geometries sent).
        var added = parts["added"].GetProperty("geometry").GetRawText();
        var from = parts["from"].GetProperty("geometry").GetRawText();
        var to = parts["to"].GetProperty("geometry").GetRawText();
        Assert.True(await s.Db.ScalarAsync<bool>(
            "SELECT ST_Covers(ST_Buffer(ST_GeomFromGeoJSON($2), 1e-9), ST_GeomFromGeoJSON($1)) AND ST_Area(ST_Intersection(ST_GeomFromGeoJSON($1), ST_GeomFromGeoJSON($3))::geography) < 0.01",
            added, to, from));

        // Rounds named explicitly give the same; a round the settlement lacks, one round only, no settlement: 404.
        using var named = JsonDocument.Parse(await s.Client.GetStringAsync($"/api/settlements/{id}/rounds.geojson?from=2015&to=2025", Ct));
        Assert.Equal(4, named.RootElement.GetProperty("features").GetArrayLength());
        using var missingRound = await s.Client.GetAsync($"/api/settlements/{id}/rounds.geojson?from=1999", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missingRound.StatusCode);
        Assert.Contains("2015, 2025", await missingRound.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var c = await s.Db.ScalarAsync<long>("SELECT s.id FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'compare-city' AND s.code = 'C'");
        Assert.Equal(HttpStatusCode.NotFound, (await s.Client.GetAsync($"/api/settlements/{c}/rounds.geojson", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Client.GetAsync("/api/settlements/987654321/rounds.geojson", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await s.Client.GetAsync($"/api/settlements/{id}/rounds.geojson?to=", Ct)).StatusCode);
    }
}
