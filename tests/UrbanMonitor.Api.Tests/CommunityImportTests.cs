using System.Net;
using System.Text.Json;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// Councils and projects of community-led upgrading (issue 13) brought in as import jobs and taken out as exports, in
/// cities of their own (no real data needed). A project names its council by code; its geometry is a point, a line or
/// a polygon, feature by feature.
/// </summary>
public class CommunityImportTests(ImportService s) : IClassFixture<ImportService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Feature(string geometry, string properties) =>
        $"{{\"type\":\"Feature\",\"properties\":{properties},\"geometry\":{geometry}}}";

    private const string Point = """{"type":"Point","coordinates":[67.0105,36.7105]}""";
    private const string Line = """{"type":"LineString","coordinates":[[67.011,36.711],[67.019,36.711],[67.019,36.718]]}""";
    private const string Polygon = """{"type":"Polygon","coordinates":[[[67.02,36.72],[67.021,36.72],[67.021,36.721],[67.02,36.721],[67.02,36.72]]]}""";

    /// <summary>A city with two councils, CDC-A and CDC-B, imported as a job.</summary>
    private async Task CityWithCouncilsAsync(string slug)
    {
        await s.CityAsync(slug);
        var councils = await s.ImportAsync($"/api/cities/{slug}/layers/councils", ImportService.FeatureCollection(
            ImportService.Square(67.0, 36.7, 0.02, """{"cdc_code": "CDC-A", "cdc_name": "Council A"}"""),
            ImportService.Square(67.02, 36.7, 0.02, """{"cdc_code": "CDC-B", "cdc_name": "Council B"}""")), "application/geo+json");
        Assert.Equal("succeeded", councils.GetProperty("status").GetString());
    }

    private Task<long> CountAsync(string slug) =>
        s.Db.ScalarAsync<long>("SELECT count(*) FROM projects p JOIN cities c ON c.id = p.city_id WHERE c.slug = $1", slug);

    [Fact]
    public async Task ProjectsImportedAsAJobArePointsLinesAndPolygonsUnderTheCouncilTheirCodeNames()
    {
        const string slug = "cdc-import-city";
        await CityWithCouncilsAsync(slug);
        var file = ImportService.FeatureCollection(
            Feature(Point, """{"project_code": "P-1", "council_code": "CDC-A", "name": "Well", "type": "water", "block_grant": "1000.50", "beneficiaries": 250}"""),
            Feature(Line, """{"project_code": "P-2", "council_code": "CDC-B", "name": "Main drain", "type": "drainage", "block_grant": 52000, "executing_party": "third-party", "contractor": "Balkh Builders", "status": "in-progress", "person_days": 400, "women_person_days": 120}"""),
            Feature(Polygon, """{"project_code": "P-3", "council_code": "CDC-A", "type": "open-space", "block_grant": 8000}"""));
        var job = await s.ImportAsync($"/api/cities/{slug}/layers/projects", file, "application/geo+json");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        Assert.Equal(3, job.GetProperty("featuresPublished").GetInt64());

        Assert.Equal("P-1:CDC-A:ST_Point:water:council::1000.50:planned:250:0:0|"
                     + "P-2:CDC-B:ST_LineString:drainage:third-party:Balkh Builders:52000.00:in-progress::400:120|"
                     + "P-3:CDC-A:ST_Polygon:open-space:council::8000.00:planned::0:0",
            await s.Db.ScalarAsync<string>("""
                SELECT string_agg(concat_ws(':', p.code, k.code, ST_GeometryType(p.geom), p.type, p.executing_party, coalesce(p.contractor, ''),
                                  p.contract_amount, p.status, coalesce(p.beneficiaries::text, ''), p.person_days, p.women_person_days), '|' ORDER BY p.code)
                FROM projects p JOIN councils k ON k.city_id = p.city_id AND k.id = p.council_id JOIN cities c ON c.id = p.city_id
                WHERE c.slug = $1
                """, slug));
        // A name falls back to the code; every project starts its status history with the status it was imported in.
        Assert.Equal("P-3", await s.Db.ScalarAsync<string>("SELECT name FROM projects WHERE code = 'P-3' AND attributes->>'type' = 'open-space'"));
        Assert.Equal("in-progress", await s.Db.ScalarAsync<string>("""
            SELECT string_agg(coalesce(h.from_status, '') || h.to_status, ',') FROM community_project_status_changes h
            JOIN projects p ON p.city_id = h.city_id AND p.id = h.project_id WHERE p.code = 'P-2'
            """));

        // Imported projects are ordinary projects: the money rule holds for them too.
        var id = await s.Db.ScalarAsync<long>("SELECT id FROM projects WHERE code = 'P-1'");
        using var pay = await s.Client.PostAsync($"/api/projects/{id}/disbursements",
            new StringContent("""{"amount": 1000.51, "paidOn": "2026-05-01"}""", System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, pay.StatusCode);

        // The same codes again are refused: projects are added, never overwritten.
        var again = await s.ImportAsync($"/api/cities/{slug}/layers/projects", file, "application/geo+json");
        Assert.Equal("failed", again.GetProperty("status").GetString());
        Assert.All(again.GetProperty("issues").EnumerateArray(), i => Assert.Equal("duplicate", i.GetProperty("rule").GetString()));
        Assert.Equal(3, await CountAsync(slug));
    }

    [Fact]
    public async Task AProjectOfAnUnknownCouncilOrBreakingARuleIsReportedAndAllOrNothingPublishesNothing()
    {
        const string slug = "cdc-reject-city";
        await CityWithCouncilsAsync(slug);
        var file = ImportService.FeatureCollection(
            Feature(Point, """{"code": "R-0", "council": "CDC-A", "type": "water", "contract_amount": 500}"""),
            Feature(Point, """{"code": "R-1", "council": "CDC-ZZ", "type": "water", "contract_amount": 500}"""),
            Feature(Line, """{"code": "R-2", "council": "CDC-B", "type": "bridges", "contract_amount": 500}"""),
            Feature(Line, """{"code": "R-3", "council": "CDC-B", "type": "roads", "contract_amount": 500, "person_days": 10, "women_person_days": 11}"""),
            Feature(Polygon, """{"code": "R-4", "council": "CDC-A", "type": "health", "contract_amount": 500, "executing_party": "third-party"}"""),
            Feature(Polygon, """{"code": "R-5", "council": "CDC-A", "type": "health", "contract_amount": "-3"}"""),
            Feature(Point, """{"code": "R-6", "type": "security", "contract_amount": 500, "status": "finished"}"""),
            Feature("""{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[67.01,36.71]}]}""", """{"code": "R-7", "council": "CDC-A", "type": "water", "contract_amount": 5}"""));
        var job = await s.ImportAsync($"/api/cities/{slug}/layers/projects?mode=all-or-nothing", file, "application/geo+json");
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains("nothing was published", job.GetProperty("error").GetString());
        var issues = job.GetProperty("issues").EnumerateArray()
            .Select(i => (i.GetProperty("feature").GetInt64(), i.GetProperty("rule").GetString(), i.GetProperty("reason").GetString()!)).ToArray();
        Assert.Equal([(1L, "unknown-council"), (2L, "type-type"), (3L, "women-days"), (4L, "contractor-missing"), (5L, "type-contract_amount"),
                      (6L, "missing-council_id"), (7L, "geometry-type")], issues.Select(i => (i.Item1, i.Item2)).ToArray());
        Assert.Equal("council 'CDC-ZZ' is not among the councils of this city (import or create it first)", issues[0].Item3);
        Assert.StartsWith("type must be one of water, drainage, roads, lighting, open-space, health, security, not 'bridges'", issues[1].Item3);
        Assert.Equal("a GeometryCollection cannot go into layer projects, which takes a Point, LineString or Polygon (or a Multi- of one)", issues[6].Item3);
        Assert.Equal(0, await CountAsync(slug));
        Assert.Equal(0, await s.Db.ScalarAsync<long>("SELECT count(*) FROM import_staging"));

        // valid-only publishes the one good feature, under its council, and reports the same seven.
        var partial = await s.ImportAsync($"/api/cities/{slug}/layers/projects?mode=valid-only", file, "application/geo+json");
        Assert.Equal("succeeded", partial.GetProperty("status").GetString());
        Assert.Equal(1, partial.GetProperty("featuresPublished").GetInt64());
        Assert.Equal(7, partial.GetProperty("featuresInvalid").GetInt64());
        Assert.Equal("R-0:CDC-A", await s.Db.ScalarAsync<string>("""
            SELECT p.code || ':' || k.code FROM projects p JOIN councils k ON k.city_id = p.city_id AND k.id = p.council_id
            JOIN cities c ON c.id = p.city_id WHERE c.slug = $1
            """, slug));
    }

    [Fact]
    public async Task AJobOptionNamesTheCouncilOfEveryProjectInAFile()
    {
        const string slug = "cdc-option-city";
        await CityWithCouncilsAsync(slug);
        var job = await s.ImportAsync($"/api/cities/{slug}/layers/projects?council=CDC-B&type=lighting", ImportService.FeatureCollection(
            Feature(Point, """{"code": "L-1", "contract_amount": 100}"""),
            Feature(Point, """{"code": "L-2", "contract_amount": 200}""")), "application/geo+json");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        Assert.Equal("L-1:CDC-B:lighting,L-2:CDC-B:lighting", await s.Db.ScalarAsync<string>("""
            SELECT string_agg(p.code || ':' || k.code || ':' || p.type, ',' ORDER BY p.code) FROM projects p
            JOIN councils k ON k.city_id = p.city_id AND k.id = p.council_id JOIN cities c ON c.id = p.city_id WHERE c.slug = $1
            """, slug));
    }

    [Fact]
    public async Task CouncilsAndProjectsExportAsGeoJsonAndGeoPackageWithoutPersonalDataAndMixedProjectsAreNoShapefile()
    {
        const string slug = "cdc-export-city";
        await CityWithCouncilsAsync(slug);
        var job = await s.ImportAsync($"/api/cities/{slug}/layers/projects", ImportService.FeatureCollection(
            Feature(Point, """{"code": "E-1", "council": "CDC-A", "type": "water", "contract_amount": 100}"""),
            Feature(Line, """{"code": "E-2", "council": "CDC-B", "type": "roads", "contract_amount": 200, "executing_party": "third-party", "contractor": "Secret Contractor Ltd"}""")),
            "application/geo+json");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var council = await s.Db.ScalarAsync<long>("SELECT id FROM councils WHERE code = 'CDC-A' AND city_id = (SELECT id FROM cities WHERE slug = $1)", slug);
        using (var member = await s.Client.PostAsync($"/api/councils/{council}/members",
                   new StringContent("""{"name": "Private Person Name", "sex": "female", "displaced": true}""", System.Text.Encoding.UTF8, "application/json"), Ct))
            Assert.Equal(HttpStatusCode.Created, member.StatusCode);

        using var anonymous = s.Api.CreateClient();
        foreach (var (layer, codes, types) in new[] { ("councils", "CDC-A,CDC-B", "MultiPolygon,MultiPolygon"), ("projects", "E-1,E-2", "Point,LineString") })
        {
            using var response = await anonymous.GetAsync($"/collections/{layer}/export?city={slug}", Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.Equal("application/geo+json", response.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("Private Person Name", text);
            Assert.DoesNotContain("Secret Contractor", text);
            using var doc = JsonDocument.Parse(text);
            var features = doc.RootElement.GetProperty("features").EnumerateArray()
                .OrderBy(f => f.GetProperty("properties").GetProperty("code").GetString(), StringComparer.Ordinal).ToArray();
            Assert.Equal(codes, string.Join(",", features.Select(f => f.GetProperty("properties").GetProperty("code").GetString())));
            Assert.Equal(types, string.Join(",", features.Select(f => f.GetProperty("geometry").GetProperty("type").GetString())));
        }
        // The council's composition counts are public, its members' names are not.
        using (var councils = await anonymous.GetAsync($"/collections/councils/export?city={slug}&format=csv", Ct))
        {
            var csv = await councils.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.OK, councils.StatusCode);
            Assert.Contains("no-woman,no-displaced", csv); // CDC-B
            Assert.DoesNotContain("Private Person Name", csv);
        }

        using var gpkg = await anonymous.GetAsync($"/collections/projects/export?city={slug}&format=gpkg", Ct);
        Assert.Equal(HttpStatusCode.OK, gpkg.StatusCode);
        var bytes = await gpkg.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal("SQLite format 3\0", System.Text.Encoding.ASCII.GetString(bytes, 0, 16));

        using var shp = await anonymous.GetAsync($"/collections/projects/export?city={slug}&format=shp", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, shp.StatusCode);
        Assert.Contains("mixes points, lines and polygons", await shp.Content.ReadAsStringAsync(Ct));
    }
}
