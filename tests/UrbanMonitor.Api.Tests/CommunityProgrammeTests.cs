using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Auth;
using static UrbanMonitor.Api.Tests.CommunityHttp;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// The rest of community-led upgrading (issue 13) in small cities of their own, where every figure is known by hand:
/// Gozar assemblies, social audits, the strategic action plan, and the programme's analysis of one district holding
/// two settlements, three councils (one dissolved) and five projects.
/// </summary>
public class CommunityProgrammeTests(ImportService s) : IClassFixture<ImportService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A lon/lat rectangle as a GeoJSON polygon.</summary>
    private static string Box(double west, double south, double east, double north) => FormattableString.Invariant(
        $$"""{"type":"Polygon","coordinates":[[[{{west}},{{south}}],[{{east}},{{south}}],[{{east}},{{north}}],[{{west}},{{north}}],[{{west}},{{south}}]]]}""");

    private static string At(double lon, double lat) => FormattableString.Invariant($$"""{"type":"Point","coordinates":[{{lon}},{{lat}}]}""");

    private async Task<long> CouncilAsync(string slug, string code, string geometry, string? gozar = null)
    {
        var council = await OkAsync(await s.Client.PostAsync($"/api/cities/{slug}/councils", Body(
            $$"""{"code": "{{code}}", "name": "Council {{code}}", "electedOn": "2025-12-01", {{(gozar is null ? "" : $"\"gozar\": \"{gozar}\", ")}}"geometry": {{geometry}}}"""), Ct),
            HttpStatusCode.Created);
        return council.GetProperty("id").GetInt64();
    }

    private async Task<long> ProjectAsync(long council, string code, string type, decimal amount, string status, int personDays, int womenPersonDays, string geometry)
    {
        var project = await OkAsync(await s.Client.PostAsync($"/api/councils/{council}/projects", Body(FormattableString.Invariant(
            $$"""{"code": "{{code}}", "name": "Project {{code}}", "type": "{{type}}", "contractAmount": {{amount}}, "status": "{{status}}", "personDays": {{personDays}}, "womenPersonDays": {{womenPersonDays}}, "geometry": {{geometry}}}""")), Ct),
            HttpStatusCode.Created);
        return project.GetProperty("id").GetInt64();
    }

    private static string Facilitator(string slug, string council) => Tokens.Issue(
        new User(Guid.NewGuid(), "facilitator." + council.ToLowerInvariant(), "Facilitator", ["community-facilitator"], []) { Councils = [slug + ":" + council] },
        TokenSettings.FromBase64(TestTokens.Key), TimeSpan.FromHours(1));

    [Fact]
    public async Task AGozarGroupsItsCouncilsAndIsBoundedByTheirUnionUnlessDrawn()
    {
        const string slug = "gozar-city";
        await s.CityAsync(slug);
        await OkAsync(await s.Client.PostAsync($"/api/cities/{slug}/gozars", Body("""{"code": "G1", "name": "Gozar One"}"""), Ct), HttpStatusCode.Created);
        await OkAsync(await s.Client.PostAsync($"/api/cities/{slug}/gozars", Body($$"""{"code": "G2", "name": "Gozar Two", "geometry": {{Box(68, 37, 68.1, 37.1)}}}"""), Ct),
            HttpStatusCode.Created);
        await CouncilAsync(slug, "K-B", Box(67.01, 36.7, 67.02, 36.71), "G1");
        await CouncilAsync(slug, "K-A", Box(67.0, 36.7, 67.01, 36.71), "G1");
        await CouncilAsync(slug, "K-C", Box(67.05, 36.7, 67.06, 36.71));
        var unknown = await ProblemAsync(await s.Client.PostAsync($"/api/cities/{slug}/councils",
            Body($$"""{"code": "K-D", "name": "x", "gozar": "G9", "geometry": {{Box(67.1, 36.7, 67.11, 36.71)}}}"""), Ct), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("gozar G9 does not exist", unknown.GetProperty("detail").GetString());

        var gozars = (await OkAsync(await s.Api.CreateClient().GetAsync($"/api/cities/{slug}/gozars", Ct))).GetProperty("gozars").EnumerateArray().ToArray();
        Assert.Equal(["G1", "G2"], gozars.Select(g => g.GetProperty("code").GetString()!).ToArray());
        Assert.Equal(["K-A", "K-B"], gozars[0].GetProperty("councils").EnumerateArray().Select(c => c.GetString()!).ToArray());
        Assert.Equal("union of its councils", gozars[0].GetProperty("boundary").GetString());
        // The two adjacent squares dissolve into one rectangle 67.00–67.02 × 36.70–36.71.
        Assert.True(await s.Db.ScalarAsync<bool>("SELECT ST_Equals(ST_GeomFromGeoJSON($1), ST_MakeEnvelope(67, 36.7, 67.02, 36.71, 4326))",
            gozars[0].GetProperty("geometry").GetRawText()));
        Assert.Equal("drawn", gozars[1].GetProperty("boundary").GetString());
        Assert.Empty(gozars[1].GetProperty("councils").EnumerateArray());
    }

    [Fact]
    public async Task WhatACouncilAskedForInItsLatestPlanIsOnTheMapAndInTheFeed()
    {
        const string slug = "needs-city";
        await s.CityAsync(slug);
        var council = await CouncilAsync(slug, "N-1", Box(67.0, 36.7, 67.01, 36.71));
        await CouncilAsync(slug, "N-2", Box(67.02, 36.7, 67.03, 36.71));
        await OkAsync(await s.Client.PostAsync($"/api/councils/{council}/plans", Body("""{"adoptedOn": "2026-02-01", "needs": ["water", "roads"]}"""), Ct),
            HttpStatusCode.Created);
        await OkAsync(await s.Client.PostAsync($"/api/councils/{council}/plans", Body("""{"adoptedOn": "2026-05-01", "needs": ["drainage", "water", "health"]}"""), Ct),
            HttpStatusCode.Created);
        // A plan recorded late but adopted earlier does not supersede the latest one.
        await OkAsync(await s.Client.PostAsync($"/api/councils/{council}/plans", Body("""{"adoptedOn": "2026-03-01", "needs": ["security"]}"""), Ct),
            HttpStatusCode.Created);

        using var anonymous = s.Api.CreateClient();
        var feed = await OkAsync(await anonymous.GetAsync($"/collections/councils/items?city={slug}", Ct));
        var needs = feed.GetProperty("features").EnumerateArray().ToDictionary(
            f => f.GetProperty("properties").GetProperty("code").GetString()!, f => f.GetProperty("properties").GetProperty("needs"));
        Assert.Equal("drainage,water,health", needs["N-1"].GetString());
        Assert.Equal(JsonValueKind.Null, needs["N-2"].ValueKind);

        var tile = UrbanMonitor.Domain.Tiles.TileMath.TileAt(67.005, 36.705, 14);
        var layer = Assert.Single(MvtText.Decode(await anonymous.GetByteArrayAsync($"/tiles/councils/{tile}.mvt", Ct)));
        var feature = Assert.Single(layer.Features, f => f.Properties["code"] == "\"N-1\"");
        Assert.Equal("\"drainage,water,health\"", feature.Properties["needs"]);
    }

    [Fact]
    public async Task SocialAuditsAreRecordedByTheCouncilsOwnPeopleAndShownToEveryone()
    {
        const string slug = "audit-city";
        await s.CityAsync(slug);
        var mine = await CouncilAsync(slug, "AU-1", Box(67.0, 36.7, 67.01, 36.71));
        var theirs = await CouncilAsync(slug, "AU-2", Box(67.02, 36.7, 67.03, 36.71));
        var project = await ProjectAsync(mine, "AU-1-P", "water", 5000m, "completed", 50, 20, At(67.005, 36.705));
        var other = await ProjectAsync(theirs, "AU-2-P", "roads", 5000m, "completed", 50, 20, At(67.025, 36.705));
        using var facilitator = s.Api.CreateClient().WithToken(Facilitator(slug, "AU-1"));

        var audited = await OkAsync(await facilitator.PostAsync($"/api/projects/{project}/audits",
            Body("""{"heldOn": "2026-06-15", "participants": 80, "womenParticipants": 35, "rating": "issues-found", "findings": "Two taps leak."}"""), Ct),
            HttpStatusCode.Created);
        var audit = Assert.Single(audited.GetProperty("socialAudits").EnumerateArray());
        Assert.Equal(35, audit.GetProperty("womenParticipants").GetInt32());
        Assert.Equal("issues-found", audit.GetProperty("rating").GetString());

        var tooMany = await ProblemAsync(await facilitator.PostAsync($"/api/projects/{project}/audits",
            Body("""{"heldOn": "2026-06-16", "participants": 10, "womenParticipants": 11, "rating": "satisfactory"}"""), Ct), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("womenParticipants (11) cannot exceed participants (10)", tooMany.GetProperty("detail").GetString());
        await ProblemAsync(await facilitator.PostAsync($"/api/projects/{project}/audits",
            Body("""{"heldOn": "2026-06-16", "participants": 10, "rating": "excellent"}"""), Ct), HttpStatusCode.UnprocessableEntity);
        var forbidden = await ProblemAsync(await facilitator.PostAsync($"/api/projects/{other}/audits",
            Body("""{"heldOn": "2026-06-16", "participants": 10, "rating": "satisfactory"}"""), Ct), HttpStatusCode.Forbidden);
        Assert.Equal("urn:urbanmonitor:problem:forbidden-council", forbidden.GetProperty("type").GetString());
        Assert.Equal(1, await s.Db.ScalarAsync<long>("SELECT count(*) FROM community_social_audits WHERE project_id IN ($1, $2)", project, other));

        // Audits are the community's public review: anyone reads them (the recorder's login is not shown).
        var text = await s.Api.CreateClient().GetStringAsync($"/api/projects/{project}", Ct);
        Assert.Contains("Two taps leak.", text);
        Assert.DoesNotContain("facilitator.au-1", text);
    }

    /// <summary>A city of two districts side by side: 1 over 67.0–67.1° E, 2 over 67.1–67.2° E (36.7–36.8° N).</summary>
    private async Task CityWithTwoDistrictsAsync(string slug)
    {
        await s.CityAsync(slug);
        foreach (var (code, west) in new[] { ("1", 67.0), ("2", 67.1) })
            await s.Db.ScalarAsync<long>("""
                WITH i AS (INSERT INTO districts (city_id, code, name, population, geom)
                           SELECT id, $2, 'District ' || $2, 10000, ST_Multi(ST_MakeEnvelope($3, 36.7, $3 + 0.1, 36.8, 4326)) FROM cities WHERE slug = $1 RETURNING 1)
                SELECT count(*) FROM i
                """, slug, code, west);
    }

    [Fact]
    public async Task ASupervisorCannotFileACouncilUnderTheirDistrictWhileItsAreaLiesInAnotherNorMoveItThere()
    {
        const string slug = "council-district-city";
        await CityWithTwoDistrictsAsync(slug);
        using var supervisor1 = s.Api.CreateClient().WithToken(TestTokens.For("supervisor", slug + ":1"));

        // Labelled district 1, drawn wholly in district 2: refused, nothing written.
        var labelled = await ProblemAsync(await supervisor1.PostAsync($"/api/cities/{slug}/councils", Body(
            $$"""{"code": "K-X", "name": "x", "district": "1", "electedOn": "2025-12-01", "geometry": {{Box(67.15, 36.75, 67.16, 36.76)}}}"""), Ct),
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("urn:urbanmonitor:problem:outside-district", labelled.GetProperty("type").GetString());
        Assert.Equal(0L, await s.Db.ScalarAsync<long>("SELECT count(*) FROM councils WHERE code = 'K-X'"));

        // A council of district 1 may be redrawn within it, but not moved into district 2.
        var council = (await OkAsync(await supervisor1.PostAsync($"/api/cities/{slug}/councils", Body(
            $$"""{"code": "K-Y", "name": "y", "electedOn": "2025-12-01", "geometry": {{Box(67.05, 36.75, 67.06, 36.76)}}}"""), Ct), HttpStatusCode.Created));
        Assert.Equal("1", council.GetProperty("district").GetString());
        var id = council.GetProperty("id").GetInt64();
        await OkAsync(await supervisor1.PutAsync($"/api/councils/{id}", Body($$"""{"geometry": {{Box(67.04, 36.75, 67.06, 36.76)}}}"""), Ct));
        var moved = await ProblemAsync(await supervisor1.PutAsync($"/api/councils/{id}", Body($$"""{"geometry": {{Box(67.15, 36.75, 67.16, 36.76)}}}"""), Ct),
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("urn:urbanmonitor:problem:outside-district", moved.GetProperty("type").GetString());
        Assert.Equal(67.04, await s.Db.ScalarAsync<double>("SELECT round(ST_XMin(geom)::numeric, 6)::float8 FROM councils WHERE id = $1", id));
    }

    [Fact]
    public async Task TheStrategicActionPlanListsTheCitysAndEachDistrictsPrioritisedInvestmentsWhereTheyArePlanned()
    {
        const string slug = "plan-city";
        await CityWithTwoDistrictsAsync(slug);
        using var planner1 = s.Api.CreateClient().WithToken(TestTokens.For("planner", slug + ":1"));
        await OkAsync(await s.Client.PostAsync($"/api/cities/{slug}/strategic-plan",
            Body("""{"priority": 1, "title": "Trunk water main", "need": "water", "estimatedCost": 2500000, "status": "funded"}"""), Ct), HttpStatusCode.Created);
        await OkAsync(await planner1.PostAsync($"/api/cities/{slug}/strategic-plan",
            Body("""{"district": "1", "priority": 2, "title": "Market street lights", "need": "lighting", "geometry": {"type": "LineString", "coordinates": [[67.01, 36.71], [67.05, 36.71]]}}"""), Ct),
            HttpStatusCode.Created);
        await OkAsync(await planner1.PostAsync($"/api/cities/{slug}/strategic-plan",
            Body($$"""{"district": "1", "priority": 1, "title": "Clinic", "need": "health", "estimatedCost": 400000, "geometry": {{At(67.02, 36.72)}}}"""), Ct),
            HttpStatusCode.Created);

        // A planner plans only their district, and the whole city only with every district; bad input is a 422.
        await ProblemAsync(await planner1.PostAsync($"/api/cities/{slug}/strategic-plan",
            Body("""{"district": "2", "priority": 1, "title": "Park", "need": "open-space"}"""), Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await planner1.PostAsync($"/api/cities/{slug}/strategic-plan",
            Body("""{"priority": 2, "title": "Ring road", "need": "roads"}"""), Ct), HttpStatusCode.Forbidden);
        using var facilitator = s.Api.CreateClient().WithToken(TestTokens.For("community-facilitator"));
        await ProblemAsync(await facilitator.PostAsync($"/api/cities/{slug}/strategic-plan",
            Body("""{"priority": 3, "title": "Ring road", "need": "roads"}"""), Ct), HttpStatusCode.Forbidden);
        var bad = await ProblemAsync(await planner1.PostAsync($"/api/cities/{slug}/strategic-plan",
            Body("""{"district": "1", "priority": 0, "title": "Bridge", "need": "bridges"}"""), Ct), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("priority starts at 1", bad.GetProperty("detail").GetString());
        await ProblemAsync(await planner1.PostAsync($"/api/cities/{slug}/strategic-plan",
            Body($$"""{"district": "1", "priority": 3, "title": "Wall", "need": "security", "geometry": {{Box(67.0, 36.7, 67.0, 36.7)}}}"""), Ct), HttpStatusCode.UnprocessableEntity);

        var items = (await OkAsync(await s.Api.CreateClient().GetAsync($"/api/cities/{slug}/strategic-plan", Ct))).GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal([":1:Trunk water main", "1:1:Clinic", "1:2:Market street lights"],
            items.Select(i => $"{i.GetProperty("district").GetString()}:{i.GetProperty("priority").GetInt32()}:{i.GetProperty("title").GetString()}").ToArray());
        Assert.Equal(JsonValueKind.Null, items[0].GetProperty("geometry").ValueKind);
        Assert.Equal("Point", items[1].GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal("LineString", items[2].GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal(2500000m, items[0].GetProperty("estimatedCost").GetDecimal());
    }

    [Fact]
    public async Task TheAnalysisOfADistrictWithTwoSettlementsEqualsTheFiguresWorkedOutByHand()
    {
        const string slug = "analysis-city";
        await s.CityAsync(slug);
        // District D (10,000 people) holds S1 (1,000 people, lacking water 0.9 and sanitation 0.5: deprivation 0.7) and
        // S2 (4,000 people, 0.1 and 0.3: 0.2), two squares of the same size side by side on the same latitudes, so their
        // geodesic areas are equal.
        await s.Db.ScalarAsync<long>("""
            WITH c AS (SELECT id FROM cities WHERE slug = $1),
            d AS (INSERT INTO districts (city_id, code, name, population, geom)
                  SELECT id, 'D', 'District D', 10000, ST_Multi(ST_MakeEnvelope(66.99, 36.69, 67.04, 36.72, 4326)) FROM c RETURNING 1),
            s AS (INSERT INTO settlements (city_id, code, name, population, lacks_water, lacks_sanitation, geom)
                  SELECT id, 'S1', 'S1', 1000, 0.9, 0.5, ST_Multi(ST_MakeEnvelope(67.00, 36.70, 67.01, 36.71, 4326)) FROM c
                  UNION ALL
                  SELECT id, 'S2', 'S2', 4000, 0.1, 0.3, ST_Multi(ST_MakeEnvelope(67.02, 36.70, 67.03, 36.71, 4326)) FROM c RETURNING 1)
            SELECT (SELECT count(*) FROM d) + (SELECT count(*) FROM s)
            """, slug);
        // K1 covers the west half of S1, K2 all of S2; K3 covered the east half of S1 but is dissolved, so it counts for nothing.
        var k1 = await CouncilAsync(slug, "K1", Box(67.00, 36.70, 67.005, 36.71));
        var k2 = await CouncilAsync(slug, "K2", Box(67.015, 36.695, 67.035, 36.715));
        var k3 = await CouncilAsync(slug, "K3", Box(67.005, 36.70, 67.01, 36.71));
        await OkAsync(await s.Client.PutAsync($"/api/councils/{k3}", Body("""{"status": "dissolved"}"""), Ct));
        // S1: 20,000 contracted (+ 5,000 planned, not counted); S2: 100,000 completed, 60,000 maintained, 40,000 in progress.
        await ProjectAsync(k1, "A-1", "water", 20_000m, "contracted", 100, 30, At(67.002, 36.705));
        await ProjectAsync(k1, "A-2", "lighting", 5_000m, "planned", 0, 0, Box(67.001, 36.701, 67.002, 36.702));
        var a3 = await ProjectAsync(k2, "A-3", "drainage", 100_000m, "completed", 200, 90,
            """{"type":"LineString","coordinates":[[67.021,36.705],[67.029,36.705]]}""");
        await ProjectAsync(k2, "A-4", "roads", 60_000m, "maintained", 100, 30, At(67.025, 36.708));
        await ProjectAsync(k2, "A-5", "health", 40_000m, "in-progress", 0, 0, Box(67.022, 36.702, 67.024, 36.704));
        await OkAsync(await s.Client.PostAsync($"/api/projects/{a3}/disbursements", Body("""{"amount": 30000, "paidOn": "2026-03-01"}"""), Ct),
            HttpStatusCode.Created);

        var a = await OkAsync(await s.Api.CreateClient().GetAsync($"/api/cities/{slug}/community/analysis", Ct));

        // Coverage: half of S1 and all of S2 → (0.5 + 1) / 2 = 0.75 of the settlements' area. Great-circle edges make the
        // halves of a square differ by a few m² in a million, hence four decimals.
        var coverage = a.GetProperty("coverage");
        var areas = coverage.GetProperty("settlements").EnumerateArray().ToDictionary(x => x.GetProperty("code").GetString()!);
        Assert.Equal(0.5, areas["S1"].GetProperty("share").GetDouble(), 4);
        Assert.Equal(1.0, areas["S2"].GetProperty("share").GetDouble(), 4);
        Assert.Equal(0.75, coverage.GetProperty("share").GetDouble(), 4);
        Assert.Equal(2, coverage.GetProperty("settlementsTouched").GetInt32());

        // Investment per person against need: S1 20,000 / 1,000 = 20; S2 (100,000 + 60,000 + 40,000) / 4,000 = 50.
        // S1 is the most deprived (rank 1) and the least invested (rank 1): gap = cume_dist 1.0 − 0.5 = 0.5; S2: 0.5 − 1.0.
        var invest = a.GetProperty("investment").GetProperty("settlements").EnumerateArray().ToArray();
        Assert.Equal(["S1", "S2"], invest.Select(x => x.GetProperty("code").GetString()!).ToArray());
        var (s1, s2) = (invest[0], invest[1]);
        Assert.Equal((20_000m, 20m, 0.7m, 1, 1, 0.5m, 1), (s1.GetProperty("investment").GetDecimal(), s1.GetProperty("perPerson").GetDecimal(),
            s1.GetProperty("deprivation").GetDecimal(), s1.GetProperty("needRank").GetInt32(), s1.GetProperty("investmentRank").GetInt32(),
            s1.GetProperty("gap").GetDecimal(), s1.GetProperty("projects").GetInt32()));
        Assert.Equal((200_000m, 50m, 0.2m, 2, 2, -0.5m, 3), (s2.GetProperty("investment").GetDecimal(), s2.GetProperty("perPerson").GetDecimal(),
            s2.GetProperty("deprivation").GetDecimal(), s2.GetProperty("needRank").GetInt32(), s2.GetProperty("investmentRank").GetInt32(),
            s2.GetProperty("gap").GetDecimal(), s2.GetProperty("projects").GetInt32()));
        // District D: 220,000 / 10,000 = 22 per person; deprivation the mean of its settlements' (0.7 + 0.2) / 2 = 0.45.
        var d = Assert.Single(a.GetProperty("investment").GetProperty("districts").EnumerateArray());
        Assert.Equal(("D", 220_000m, 22m, 0.45m, 4), (d.GetProperty("code").GetString(), d.GetProperty("investment").GetDecimal(),
            d.GetProperty("perPerson").GetDecimal(), d.GetProperty("deprivation").GetDecimal(), d.GetProperty("projects").GetInt32()));

        // Delivery: 5 projects, 4 past planning, 2 completed (one of them maintained): completion 2/4, maintenance 1/2.
        var delivery = a.GetProperty("delivery");
        Assert.Equal((5, 4, 2, 1, 0.5m, 0.5m, 220_000m, 30_000m), (delivery.GetProperty("projects").GetInt32(), delivery.GetProperty("contracted").GetInt32(),
            delivery.GetProperty("completed").GetInt32(), delivery.GetProperty("maintained").GetInt32(), delivery.GetProperty("completionRate").GetDecimal(),
            delivery.GetProperty("maintenanceRate").GetDecimal(), delivery.GetProperty("investment").GetDecimal(), delivery.GetProperty("disbursed").GetDecimal()));
        // Jobs: 100 + 200 + 100 = 400 person-days, of which women 30 + 90 + 30 = 150: a share of 0.375.
        var jobs = a.GetProperty("jobs");
        Assert.Equal((400, 150, 0.375m), (jobs.GetProperty("personDays").GetInt32(), jobs.GetProperty("womenPersonDays").GetInt32(),
            jobs.GetProperty("womenShare").GetDecimal()));
    }
}
