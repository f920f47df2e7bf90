using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Auth;
using UrbanMonitor.Domain.Tiles;
using static UrbanMonitor.Api.Tests.CommunityHttp;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// Community-led upgrading over Rio's real settlements (issue 13): councils, composition rule, action plans, projects,
/// money, status, permissions, public views and the programme's analysis. Council and project codes start with CDCT-,
/// used by no other test. Geometries are built in SIRGAS 2000 / UTM 23S (EPSG:31983) so their areas are known in metres.
/// </summary>
public class CommunityTests(RealDataTilesService service) : IClassFixture<RealDataTilesService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Rio = "rio-de-janeiro";

    private void RequireData()
    {
        _ = service.Db.ConnectionString;
        if (!service.Loaded)
        {
            Assert.False(PostgisServer.OnCi, "CI=true and the real data in ../shared/data (or URBANMONITOR_DATA) is missing.");
            Assert.Skip("The real data sets (../shared/data) are not here.");
        }
    }

    /// <summary>A token as an identity provider would issue it to a community facilitator of <paramref name="councils"/>.</summary>
    private static string Facilitator(params string[] councils)
    {
        var settings = TokenSettings.FromBase64(TestTokens.Key);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(settings.SecurityKey, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = Guid.NewGuid().ToString(),
                ["name"] = "Test facilitator",
                ["preferred_username"] = "test.facilitator",
                ["role"] = new[] { "community-facilitator" },
                ["districts"] = Array.Empty<string>(),
                ["councils"] = councils.Select(c => Rio + ":" + c).ToArray(),
            },
        });
    }

    private HttpClient Admin() => service.Api.CreateClient().WithToken(TestTokens.For("admin"));

    /// <summary>A rectangle given in metres east and north of (lon, lat), as a GeoJSON geometry in EPSG:4326.</summary>
    private async Task<JsonElement> RectangleAsync((double Lon, double Lat) at, double west, double south, double east, double north)
    {
        var json = await service.Db.ScalarAsync<string>("""
            WITH c AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 31983) AS p)
            SELECT ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(ST_X(p) + $3, ST_Y(p) + $4, ST_X(p) + $5, ST_Y(p) + $6, 31983), 4326), 9) FROM c
            """, at.Lon, at.Lat, west, south, east, north);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    /// <summary>A point metres east and north of (lon, lat), as GeoJSON in EPSG:4326.</summary>
    private async Task<JsonElement> PointAsync((double Lon, double Lat) at, double east, double north)
    {
        var json = await service.Db.ScalarAsync<string>("""
            WITH c AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 31983) AS p)
            SELECT ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(p) + $3, ST_Y(p) + $4), 31983), 4326), 9) FROM c
            """, at.Lon, at.Lat, east, north);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private async Task<(double Lon, double Lat)> SettlementPointAsync(string name)
    {
        var lon = await service.Db.ScalarAsync<double>("SELECT ST_X(ST_PointOnSurface(geom)) FROM settlements WHERE name = $1 ORDER BY id LIMIT 1", name);
        var lat = await service.Db.ScalarAsync<double>("SELECT ST_Y(ST_PointOnSurface(geom)) FROM settlements WHERE name = $1 ORDER BY id LIMIT 1", name);
        return (lon, lat);
    }

    private async Task<long> CouncilAsync(HttpClient client, string code, JsonElement geometry)
    {
        var council = await OkAsync(await client.PostAsync($"/api/cities/{Rio}/councils",
            Body(new { code, name = "Conselho " + code, electedOn = "2026-03-01", geometry }), Ct), HttpStatusCode.Created);
        return council.GetProperty("id").GetInt64();
    }

    private async Task<long> ProjectAsync(HttpClient client, long council, string code, decimal amount, JsonElement geometry,
        string status = "planned", int personDays = 0, int womenPersonDays = 0, string type = "drainage")
    {
        var project = await OkAsync(await client.PostAsync($"/api/councils/{council}/projects", Body(new
        {
            code, name = "Obra " + code, type, executingParty = "council", contractAmount = amount, status,
            beneficiaries = 300, personDays, womenPersonDays, geometry,
        }), Ct), HttpStatusCode.Created);
        return project.GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task ACouncilWithoutAWomanIsListedAsAViolationUntilAWomanJoins()
    {
        RequireData();
        using var admin = Admin();
        var rocinha = await SettlementPointAsync("Rocinha");
        var id = await CouncilAsync(admin, "CDCT-W1", await RectangleAsync(rocinha, -150, -150, 150, 150));
        await OkAsync(await admin.PostAsync($"/api/councils/{id}/members", Body(new { name = "João Silva", sex = "male", displaced = true, role = "chair" }), Ct), HttpStatusCode.Created);
        var council = await OkAsync(await admin.PostAsync($"/api/councils/{id}/members", Body(new { name = "Pedro Souza", sex = "male", role = "treasurer" }), Ct), HttpStatusCode.Created);
        Assert.Equal(["no-woman"], council.GetProperty("composition").GetProperty("violations").EnumerateArray().Select(v => v.GetString()));
        Assert.False(council.GetProperty("composition").GetProperty("ok").GetBoolean());

        using var anonymous = service.Api.CreateClient();
        var listed = await OkAsync(await anonymous.GetAsync($"/api/cities/{Rio}/councils/violations", Ct));
        var entry = Assert.Single(listed.GetProperty("violations").EnumerateArray(), v => v.GetProperty("code").GetString() == "CDCT-W1");
        Assert.Equal(["no-woman"], entry.GetProperty("violations").EnumerateArray().Select(v => v.GetString()));

        council = await OkAsync(await admin.PostAsync($"/api/councils/{id}/members", Body(new { name = "Maria Santos", sex = "female", role = "secretary" }), Ct), HttpStatusCode.Created);
        Assert.True(council.GetProperty("composition").GetProperty("ok").GetBoolean());
        listed = await OkAsync(await anonymous.GetAsync($"/api/cities/{Rio}/councils/violations", Ct));
        Assert.DoesNotContain(listed.GetProperty("violations").EnumerateArray(), v => v.GetProperty("code").GetString() == "CDCT-W1");

        // The only displaced-people representative leaves (her record stays): the council breaks the rule again.
        var chair = council.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "João Silva").GetProperty("id").GetInt64();
        council = await OkAsync(await admin.PutAsync($"/api/councils/{id}/members/{chair}", Body(new { leftOn = "2026-10-01" }), Ct));
        Assert.Equal(["no-displaced"], council.GetProperty("composition").GetProperty("violations").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(3, council.GetProperty("members").GetArrayLength());
        Assert.Equal(2, council.GetProperty("composition").GetProperty("members").GetInt32());
    }

    [Fact]
    public async Task BadCouncilAndPlanInputIsA422SayingWhatAndWhereAndWritesNothing()
    {
        RequireData();
        using var admin = Admin();
        var (lon, lat) = await SettlementPointAsync("Rocinha");
        var bowTie = new { type = "Polygon", coordinates = new[] { new[] { new[] { lon, lat }, new[] { lon + 0.001, lat + 0.001 }, new[] { lon + 0.001, lat }, new[] { lon, lat + 0.001 }, new[] { lon, lat } } } };
        var invalid = await ProblemAsync(await admin.PostAsync($"/api/cities/{Rio}/councils", Body(new { code = "CDCT-B1", name = "x", geometry = bowTie }), Ct), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("Self-intersection", invalid.GetProperty("detail").GetString());
        Assert.StartsWith("POINT(", invalid.GetProperty("location").GetString());
        var point = await ProblemAsync(await admin.PostAsync($"/api/cities/{Rio}/councils", Body(new { code = "CDCT-B1", name = "x", geometry = new { type = "Point", coordinates = new[] { lon, lat } } }), Ct), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("urn:urbanmonitor:problem:geometry-type", point.GetProperty("type").GetString());
        var missing = await ProblemAsync(await admin.PostAsync($"/api/cities/{Rio}/councils", Body(new { name = "x" }), Ct), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("code is required", missing.GetProperty("detail").GetString());
        Assert.Contains("geometry is required", missing.GetProperty("detail").GetString());
        Assert.Equal(0L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM councils WHERE code = 'CDCT-B1'"));

        var id = await CouncilAsync(admin, "CDCT-B2", await RectangleAsync((lon, lat), 1000, 1000, 1100, 1100));
        var plan = await ProblemAsync(await admin.PostAsync($"/api/councils/{id}/plans", Body(new { adoptedOn = "2026-02-30", needs = new[] { "water", "parking", "water" } }), Ct), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("adoptedOn must be a date", plan.GetProperty("detail").GetString());
        Assert.Contains("\"parking\" is not", plan.GetProperty("detail").GetString());
        var twice = await ProblemAsync(await admin.PostAsync($"/api/councils/{id}/plans", Body(new { adoptedOn = "2026-02-01", needs = new[] { "water", "roads", "water" } }), Ct), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("names water twice", twice.GetProperty("detail").GetString());
        Assert.Equal(0L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM community_action_plans WHERE council_id = $1", id));
        var taken = await ProblemAsync(await admin.PostAsync($"/api/cities/{Rio}/councils", Body(new { code = "CDCT-B2", name = "again", geometry = await RectangleAsync((lon, lat), 1200, 1200, 1300, 1300) }), Ct), HttpStatusCode.Conflict);
        Assert.Equal("urn:urbanmonitor:problem:code-taken", taken.GetProperty("type").GetString());
    }

    [Fact]
    public async Task ADisbursementOverTheContractIsRefusedWithItsReasonAndNothingIsWritten()
    {
        RequireData();
        using var admin = Admin();
        var vidigal = await SettlementPointAsync("Vidigal");
        var council = await CouncilAsync(admin, "CDCT-D1", await RectangleAsync(vidigal, -100, -100, 100, 100));
        var project = await ProjectAsync(admin, council, "CDCT-D1-P1", 1000m, await PointAsync(vidigal, 10, 10), "contracted");
        var paid = await OkAsync(await admin.PostAsync($"/api/projects/{project}/disbursements", Body(new { amount = 600, paidOn = "2026-04-01", tranche = "1" }), Ct), HttpStatusCode.Created);
        Assert.Equal(600m, paid.GetProperty("disbursed").GetDecimal());
        var auditRows = await service.Db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE table_name = 'community_disbursements'");

        var refused = await ProblemAsync(await admin.PostAsync($"/api/projects/{project}/disbursements", Body(new { amount = 400.01, paidOn = "2026-05-01" }), Ct),
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("urn:urbanmonitor:problem:disbursement-over-contract", refused.GetProperty("type").GetString());
        Assert.Contains("At most 400.00 remains", refused.GetProperty("detail").GetString());
        Assert.Equal(1L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM community_disbursements WHERE project_id = $1", project));
        Assert.Equal(600m, await service.Db.ScalarAsync<decimal>("SELECT disbursed FROM projects WHERE id = $1", project));
        Assert.Equal(auditRows, await service.Db.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE table_name = 'community_disbursements'"));

        // The database holds the rule too: a payment written past the API is refused.
        var direct = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => service.Db.ScalarAsync<long>(
            "WITH i AS (INSERT INTO community_disbursements (city_id, project_id, amount, paid_on, recorded_by) SELECT city_id, id, 500, now(), 'sql' FROM projects WHERE id = $1 RETURNING 1) SELECT count(*) FROM i", project));
        Assert.Equal("projects_disbursed_within_contract", direct.ConstraintName);
        // Cutting the contract below what was paid is refused the same way; exactly the rest can still be paid.
        await ProblemAsync(await admin.PutAsync($"/api/projects/{project}", Body(new { contractAmount = 500 }), Ct), HttpStatusCode.UnprocessableEntity);
        paid = await OkAsync(await admin.PostAsync($"/api/projects/{project}/disbursements", Body(new { amount = 400, paidOn = "2026-05-01" }), Ct), HttpStatusCode.Created);
        Assert.Equal(0m, paid.GetProperty("remaining").GetDecimal());
    }

    [Fact]
    public async Task ConcurrentDisbursementsNeverTakeAProjectOverItsContract()
    {
        RequireData();
        using var admin = Admin();
        var at = await SettlementPointAsync("Vidigal");
        var council = await CouncilAsync(admin, "CDCT-D2", await RectangleAsync(at, 300, 300, 400, 400));
        var project = await ProjectAsync(admin, council, "CDCT-D2-P1", 1000m, await PointAsync(at, 350, 350), "contracted");
        // Ten payments of 150 at once against a contract of 1,000: six fit (900), four must be refused.
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var client = Admin();
            using var response = await client.PostAsync($"/api/projects/{project}/disbursements", Body(new { amount = 150, paidOn = "2026-07-01" }), Ct);
            return response.StatusCode;
        }));
        Assert.Equal(6, responses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(4, responses.Count(s => s == HttpStatusCode.UnprocessableEntity));
        Assert.Equal(900m, await service.Db.ScalarAsync<decimal>("SELECT disbursed FROM projects WHERE id = $1", project));
        Assert.Equal(900m, await service.Db.ScalarAsync<decimal>("SELECT sum(amount) FROM community_disbursements WHERE project_id = $1", project));
    }

    [Fact]
    public async Task AProjectStatusCannotGoBackWithoutAReasonAndTheReasonIsKept()
    {
        RequireData();
        using var admin = Admin();
        var at = await SettlementPointAsync("Vila Parque da Cidade");
        var council = await CouncilAsync(admin, "CDCT-S1", await RectangleAsync(at, -100, -100, 100, 100));
        var line = await service.Db.ScalarAsync<string>(
            "SELECT ST_AsGeoJSON(ST_MakeLine(ST_MakePoint($1, $2), ST_MakePoint($1 + 0.0005, $2 + 0.0003)))", at.Lon, at.Lat);
        var project = await ProjectAsync(admin, council, "CDCT-S1-P1", 5000m, JsonDocument.Parse(line).RootElement.Clone(), "contracted");
        await OkAsync(await admin.PutAsync($"/api/projects/{project}", Body(new { status = "completed" }), Ct));

        var refused = await ProblemAsync(await admin.PutAsync($"/api/projects/{project}", Body(new { status = "in-progress" }), Ct), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("urn:urbanmonitor:problem:status-backwards", refused.GetProperty("type").GetString());
        Assert.Contains("needs a reason", refused.GetProperty("detail").GetString());
        Assert.Equal("completed", await service.Db.ScalarAsync<string>("SELECT status FROM projects WHERE id = $1", project));
        // The rule is the database's as well.
        var direct = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => service.Db.ScalarAsync<long>(
            "WITH u AS (UPDATE projects SET status = 'planned', status_reason = NULL WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", project));
        Assert.Equal("UMC01", direct.SqlState);

        var back = await OkAsync(await admin.PutAsync($"/api/projects/{project}", Body(new { status = "in-progress", reason = "the drain failed the community's inspection" }), Ct));
        Assert.Equal("in-progress", back.GetProperty("status").GetString());
        var history = back.GetProperty("statusHistory").EnumerateArray().Select(h => (h.GetProperty("from").GetString(), h.GetProperty("to").GetString())).ToArray();
        Assert.Equal([(null, "contracted"), ("contracted", "completed"), ("completed", "in-progress")], history);
        Assert.Equal("the drain failed the community's inspection", back.GetProperty("statusHistory")[2].GetProperty("reason").GetString());
        // Nothing is deleted, even by SQL.
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => service.Db.ScalarAsync<long>(
            "WITH d AS (DELETE FROM projects WHERE id = $1 RETURNING 1) SELECT count(*) FROM d", project));
    }

    [Fact]
    public async Task AFacilitatorEditsOnlyTheCouncilsOfTheirToken()
    {
        RequireData();
        using var admin = Admin();
        var at = await SettlementPointAsync("Rocinha");
        var mine = await CouncilAsync(admin, "CDCT-F1", await RectangleAsync(at, 300, 300, 500, 500));
        var theirs = await CouncilAsync(admin, "CDCT-F2", await RectangleAsync(at, 600, 300, 800, 500));
        var theirProject = await ProjectAsync(admin, theirs, "CDCT-F2-P1", 800m, await PointAsync(at, 700, 400), "contracted");
        using var facilitator = service.Api.CreateClient().WithToken(Facilitator("CDCT-F1"));

        await OkAsync(await facilitator.PostAsync($"/api/councils/{mine}/members", Body(new { name = "Ana Lima", sex = "female", displaced = true }), Ct), HttpStatusCode.Created);
        await OkAsync(await facilitator.PostAsync($"/api/councils/{mine}/plans", Body(new { adoptedOn = "2026-05-01", needs = new[] { "drainage", "lighting", "water" } }), Ct), HttpStatusCode.Created);
        var ownProject = await ProjectAsync(facilitator, mine, "CDCT-F1-P1", 900m, await PointAsync(at, 400, 400));

        var members = await service.Db.ScalarAsync<long>("SELECT count(*) FROM council_members WHERE council_id = $1", theirs);
        var forbidden = await ProblemAsync(await facilitator.PostAsync($"/api/councils/{theirs}/members", Body(new { name = "Intruso", sex = "male" }), Ct), HttpStatusCode.Forbidden);
        Assert.Equal("urn:urbanmonitor:problem:forbidden-council", forbidden.GetProperty("type").GetString());
        Assert.Contains("CDCT-F2", forbidden.GetProperty("detail").GetString());
        await ProblemAsync(await facilitator.PutAsync($"/api/projects/{theirProject}", Body(new { status = "completed" }), Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await facilitator.PostAsync($"/api/projects/{theirProject}/disbursements", Body(new { amount = 10, paidOn = "2026-05-01" }), Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await facilitator.PutAsync($"/api/councils/{theirs}", Body(new { name = "Renamed" }), Ct), HttpStatusCode.Forbidden);
        await ProblemAsync(await facilitator.PostAsync($"/api/cities/{Rio}/councils", Body(new { code = "CDCT-F3", name = "x", geometry = await RectangleAsync(at, 900, 300, 1000, 400) }), Ct), HttpStatusCode.Forbidden);
        Assert.Equal(members, await service.Db.ScalarAsync<long>("SELECT count(*) FROM council_members WHERE council_id = $1", theirs));
        Assert.Equal("contracted", await service.Db.ScalarAsync<string>("SELECT status FROM projects WHERE id = $1", theirProject));
        Assert.Equal(0L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM councils WHERE code = 'CDCT-F3'"));

        // Anonymous writes need a login; the facilitator's own project is theirs to change.
        using var anonymous = service.Api.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/api/councils/{mine}/members", Body(new { name = "x", sex = "male" }), Ct)).StatusCode);
        await OkAsync(await facilitator.PutAsync($"/api/projects/{ownProject}", Body(new { status = "contracted" }), Ct));
    }

    [Fact]
    public async Task AFacilitatorsCouncilsAreKeptWithTheUserAndIssuedInTheirToken()
    {
        RequireData();
        using var admin = Admin();
        var at = await SettlementPointAsync("Rocinha");
        var mine = await CouncilAsync(admin, "CDCT-U1", await RectangleAsync(at, -900, 300, -700, 500));
        var theirs = await CouncilAsync(admin, "CDCT-U2", await RectangleAsync(at, -600, 300, -400, 500));
        var env = new Dictionary<string, string?> { ["URBANMONITOR_DB"] = service.Db.ConnectionString };

        // The CLI assigns councils like districts: an unknown council is refused and nothing is added.
        var unknown = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "add", "cdc-unknown", "--role", "community-facilitator", "--council", Rio + ":NO-SUCH-CDC"], env);
        Assert.True(unknown.ExitCode == 5, unknown.Output);
        Assert.Contains($"There is no council {Rio}:NO-SUCH-CDC.", unknown.Stderr);
        Assert.Equal(0L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM users WHERE login = 'cdc-unknown'"));
        var added = await Repo.RunAsync("dotnet", [Repo.CliDll, "users", "add", "cdc-facilitator", "--name", "Zahra", "--role", "community-facilitator", "--council", Rio + ":CDCT-U1"], env);
        Assert.True(added.ExitCode == 0, added.Output);
        Assert.Contains($"councils {Rio}:CDCT-U1", added.Stdout);

        // The token issued for that user carries the claim, so the facilitator edits that council and no other.
        var user = Assert.Single(await Users.ListAsync(service.Db.DataSource, "cdc-facilitator", Ct));
        Assert.Equal([Rio + ":CDCT-U1"], user.Councils);
        using var facilitator = service.Api.CreateClient().WithToken(Tokens.Issue(user, TokenSettings.FromBase64(TestTokens.Key), TimeSpan.FromHours(1)));
        await OkAsync(await facilitator.PostAsync($"/api/councils/{mine}/members", Body(new { name = "Rosa Lima", sex = "female", displaced = false }), Ct), HttpStatusCode.Created);
        await ProblemAsync(await facilitator.PostAsync($"/api/councils/{theirs}/members", Body(new { name = "Intruso", sex = "male" }), Ct), HttpStatusCode.Forbidden);

        // Admins manage the assignment through /api/users too: moving the facilitator to the other council.
        using var moved = await admin.PatchAsync("/api/users/cdc-facilitator", Body(new { councils = new[] { Rio + ":CDCT-U2" } }), Ct);
        var body = await OkAsync(moved);
        Assert.Equal(Rio + ":CDCT-U2", Assert.Single(body.GetProperty("councils").EnumerateArray()).GetString());
        var reissued = Assert.Single(await Users.ListAsync(service.Db.DataSource, "cdc-facilitator", Ct));
        using var facilitator2 = service.Api.CreateClient().WithToken(Tokens.Issue(reissued, TokenSettings.FromBase64(TestTokens.Key), TimeSpan.FromHours(1)));
        await OkAsync(await facilitator2.PostAsync($"/api/councils/{theirs}/members", Body(new { name = "Joana Reis", sex = "female", displaced = true }), Ct), HttpStatusCode.Created);
        await ProblemAsync(await facilitator2.PostAsync($"/api/councils/{mine}/members", Body(new { name = "Outra", sex = "female" }), Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task PublicViewsFeedsAndTilesCarryNoMemberNames()
    {
        RequireData();
        using var admin = Admin();
        var at = await SettlementPointAsync("Matinha (RA - Rocinha)");
        var id = await CouncilAsync(admin, "CDCT-P1", await RectangleAsync(at, -80, -80, 80, 80));
        const string secret = "Zuleica Quaresma-Privada";
        await OkAsync(await admin.PostAsync($"/api/councils/{id}/members", Body(new { name = secret, sex = "female", displaced = true, role = "chair" }), Ct), HttpStatusCode.Created);
        await ProjectAsync(admin, id, "CDCT-P1-P1", 700m, await PointAsync(at, 5, 5), "in-progress");

        using var anonymous = service.Api.CreateClient();
        var council = await OkAsync(await anonymous.GetAsync($"/api/councils/{id}", Ct));
        Assert.Equal(JsonValueKind.Null, council.GetProperty("members").ValueKind);
        Assert.Equal(1, council.GetProperty("composition").GetProperty("women").GetInt32());
        var staffView = await (await admin.GetAsync($"/api/councils/{id}", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains(secret, staffView);

        // A compliant council is not among the violations; the list must not name anyone either.
        Assert.DoesNotContain(secret, await anonymous.GetStringAsync($"/api/cities/{Rio}/councils/violations", Ct));
        foreach (var url in new[] { $"/api/councils/{id}", $"/api/cities/{Rio}/councils",
                                    "/collections/councils/items?limit=1000", "/collections/projects/items?limit=1000", $"/collections/councils/items/{id}" })
        {
            var response = await anonymous.GetAsync(url, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {text}");
            Assert.DoesNotContain(secret, text);
            Assert.Contains("CDCT-P1", text);
        }

        // Exports carry the same public columns; a Shapefile cannot hold the projects' mixed geometries and says so.
        var export = await anonymous.GetStringAsync("/collections/councils/export?format=csv", Ct);
        Assert.Contains("CDCT-P1", export);
        Assert.DoesNotContain(secret, export);
        var shp = await ProblemAsync(await anonymous.GetAsync("/collections/projects/export?format=shp", Ct), HttpStatusCode.BadRequest);
        Assert.Contains("one geometry type", shp.GetProperty("detail").GetString());

        var tile = TileMath.TileAt(at.Lon, at.Lat, 15);
        var layers = MvtText.Decode(await anonymous.GetByteArrayAsync($"/tiles/councils,projects/{tile}.mvt", Ct));
        var councils = Assert.Single(layers, l => l.Name == "councils");
        var feature = Assert.Single(councils.Features, f => f.Properties["code"] == "\"CDCT-P1\"");
        Assert.Equal("\"ok\"", feature.Properties["composition"]);
        Assert.Contains(Assert.Single(layers, l => l.Name == "projects").Features, f => f.Properties["code"] == "\"CDCT-P1-P1\"");
        Assert.DoesNotContain(secret, MvtText.Render(await anonymous.GetByteArrayAsync($"/tiles/councils,projects/{tile}.mvt", Ct)));
    }

    [Fact]
    public async Task TheAnalysisFiguresEqualHandComputedValuesFromSquaresOfKnownArea()
    {
        RequireData();
        using var admin = Admin();
        // A district spot at least 1.5 km from any favela, so the constructed settlements are the only ones around.
        var lon = await service.Db.ScalarAsync<double>("""
            SELECT ST_X(p) FROM (SELECT d.code, ST_PointOnSurface(d.geom) AS p FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'rio-de-janeiro') x
            WHERE NOT EXISTS (SELECT 1 FROM settlements s WHERE ST_DWithin(s.geom::geography, x.p::geography, 1500))
              AND EXISTS (SELECT 1 FROM districts d WHERE d.population > 0 AND ST_Contains(d.geom, ST_Buffer(x.p::geography, 1200)::geometry))
            ORDER BY code LIMIT 1
            """);
        var lat = await service.Db.ScalarAsync<double>("""
            SELECT ST_Y(p) FROM (SELECT d.code, ST_PointOnSurface(d.geom) AS p FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'rio-de-janeiro') x
            WHERE NOT EXISTS (SELECT 1 FROM settlements s WHERE ST_DWithin(s.geom::geography, x.p::geography, 1500))
              AND EXISTS (SELECT 1 FROM districts d WHERE d.population > 0 AND ST_Contains(d.geom, ST_Buffer(x.p::geography, 1200)::geometry))
            ORDER BY code LIMIT 1
            """);
        var c = (lon, lat);
        // Two settlements of 400 m × 400 m (160,000 m²): S1 poor and barely served, S2 better off and well served.
        foreach (var (code, east, people, water, sanitation) in new[] { ("CDCT-S1", 0.0, 2000, 0.8, 0.6), ("CDCT-S2", 800.0, 1000, 0.1, 0.3) })
        {
            var square = (await RectangleAsync(c, east - 200, -200, east + 200, 200)).GetRawText();
            await service.Db.ScalarAsync<long>("""
                WITH i AS (INSERT INTO settlements (city_id, code, name, population, lacks_water, lacks_sanitation, geom)
                           SELECT id, $1, $1, $2, $3, $4, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($5), 4326)) FROM cities WHERE slug = 'rio-de-janeiro' RETURNING 1)
                SELECT count(*) FROM i
                """, code, (long)people, (decimal)water, (decimal)sanitation, square);
        }
        var before = await OkAsync(await admin.GetAsync($"/api/cities/{Rio}/community/analysis", Ct));

        // K1 covers the west half of S1 (200 m × 400 m); K2 covers all of S2 and land around it.
        var k1 = await CouncilAsync(admin, "CDCT-A1", await RectangleAsync(c, -200, -200, 0, 200));
        var k2 = await CouncilAsync(admin, "CDCT-A2", await RectangleAsync(c, 500, -300, 1100, 300));
        await ProjectAsync(admin, k1, "CDCT-A1-P1", 50_000m, await PointAsync(c, -100, 0), "contracted", 100, 40);
        await ProjectAsync(admin, k1, "CDCT-A1-P2", 30_000m, await PointAsync(c, -150, 50), "planned");
        var p3 = await ProjectAsync(admin, k2, "CDCT-A2-P1", 120_000m, await RectangleAsync(c, 700, -50, 900, 50), "completed", 300, 60);
        await ProjectAsync(admin, k2, "CDCT-A2-P2", 40_000m, await PointAsync(c, 850, 100), "maintained", 100, 50);
        await OkAsync(await admin.PostAsync($"/api/projects/{p3}/disbursements", Body(new { amount = 100_000, paidOn = "2026-06-01" }), Ct), HttpStatusCode.Created);

        var a = await OkAsync(await admin.GetAsync($"/api/cities/{Rio}/community/analysis", Ct));
        var coverage = a.GetProperty("coverage").GetProperty("settlements").EnumerateArray().ToDictionary(s => s.GetProperty("code").GetString()!);
        // UTM 23S is conformal with a scale factor within 0.05 % here: the geodesic areas agree with the plane's to 0.1 %.
        Assert.Equal(160_000, coverage["CDCT-S1"].GetProperty("areaM2").GetDouble(), 160.0);
        Assert.Equal(80_000, coverage["CDCT-S1"].GetProperty("coveredM2").GetDouble(), 80.0);
        Assert.Equal(0.5, coverage["CDCT-S1"].GetProperty("share").GetDouble(), 3);
        Assert.Equal(1.0, coverage["CDCT-S2"].GetProperty("share").GetDouble(), 3);
        Assert.Equal(before.GetProperty("coverage").GetProperty("coveredM2").GetDouble() + 240_000,
            a.GetProperty("coverage").GetProperty("coveredM2").GetDouble(), 240.0);

        var invest = a.GetProperty("investment").GetProperty("settlements").EnumerateArray().ToDictionary(s => s.GetProperty("code").GetString()!);
        var s1 = invest["CDCT-S1"];
        var s2 = invest["CDCT-S2"];
        Assert.Equal(50_000m, s1.GetProperty("investment").GetDecimal());            // the planned project does not count
        Assert.Equal(25m, s1.GetProperty("perPerson").GetDecimal());                 // 50,000 / 2,000
        Assert.Equal(160_000m, s2.GetProperty("investment").GetDecimal());
        Assert.Equal(160m, s2.GetProperty("perPerson").GetDecimal());                // (120,000 + 40,000) / 1,000
        Assert.Equal(0.7m, s1.GetProperty("deprivation").GetDecimal());              // mean of 0.8 and 0.6
        Assert.Equal(0.2m, s2.GetProperty("deprivation").GetDecimal());
        Assert.True(s1.GetProperty("needRank").GetInt32() < s2.GetProperty("needRank").GetInt32());
        Assert.True(s1.GetProperty("investmentRank").GetInt32() < s2.GetProperty("investmentRank").GetInt32());
        Assert.True(s1.GetProperty("gap").GetDouble() > s2.GetProperty("gap").GetDouble());
        var order = a.GetProperty("investment").GetProperty("settlements").EnumerateArray().Select(s => s.GetProperty("code").GetString()).ToList();
        Assert.True(order.IndexOf("CDCT-S1") < order.IndexOf("CDCT-S2"), "the most deprived, least invested settlement comes first");

        // The district holding the spot gets the three committed projects.
        var district = await service.Db.ScalarAsync<string>(
            "SELECT d.code FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'rio-de-janeiro' AND ST_Intersects(d.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))", lon, lat);
        var population = await service.Db.ScalarAsync<decimal>(
            "SELECT d.population FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'rio-de-janeiro' AND d.code = $1", district);
        var d = a.GetProperty("investment").GetProperty("districts").EnumerateArray().Single(x => x.GetProperty("code").GetString() == district);
        Assert.Equal(210_000m, d.GetProperty("investment").GetDecimal());
        Assert.Equal(Math.Round(210_000m / population, 4), d.GetProperty("perPerson").GetDecimal());
        Assert.Equal(0.45m, d.GetProperty("deprivation").GetDecimal());              // mean of 0.7 and 0.2

        // Delivery and jobs: what these four projects added (other tests of this class add their own).
        int Delta(string group, string name) => a.GetProperty(group).GetProperty(name).GetInt32() - before.GetProperty(group).GetProperty(name).GetInt32();
        Assert.Equal(4, Delta("delivery", "projects"));
        Assert.Equal(3, Delta("delivery", "contracted"));
        Assert.Equal(2, Delta("delivery", "completed"));
        Assert.Equal(1, Delta("delivery", "maintained"));
        Assert.Equal(500, Delta("jobs", "personDays"));
        Assert.Equal(150, Delta("jobs", "womenPersonDays"));
        var delivery = a.GetProperty("delivery");
        Assert.Equal(Math.Round((decimal)delivery.GetProperty("completed").GetInt32() / delivery.GetProperty("contracted").GetInt32(), 4),
            delivery.GetProperty("completionRate").GetDecimal());
        Assert.Equal(Math.Round((decimal)delivery.GetProperty("maintained").GetInt32() / delivery.GetProperty("completed").GetInt32(), 4),
            delivery.GetProperty("maintenanceRate").GetDecimal());
        var jobs = a.GetProperty("jobs");
        Assert.Equal(Math.Round((decimal)jobs.GetProperty("womenPersonDays").GetInt32() / jobs.GetProperty("personDays").GetInt32(), 4),
            jobs.GetProperty("womenShare").GetDecimal());
    }

    /// <summary>Uploads a councils file as an import job and waits for it to end; returns its status.</summary>
    private static async Task<string> ImportCouncilsAsync(HttpClient admin, byte[] file)
    {
        using var content = new ByteArrayContent(file);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/geo+json");
        var response = await admin.PostAsync($"/api/cities/{Rio}/layers/councils", content, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(Ct));
        var job = response.Headers.Location!.ToString();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var status = (await OkAsync(await admin.GetAsync(job, Ct))).GetProperty("status").GetString()!;
            if (status is "succeeded" or "failed") return status;
            Assert.True(DateTime.UtcNow < deadline, "the import did not finish");
            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task CouncilsImportedAsAJobAreAddedAndExportedThroughTheFeedWithoutReplacingOthers()
    {
        RequireData();
        using var admin = Admin();
        var at = await SettlementPointAsync("Rocinha");
        var existing = await CouncilAsync(admin, "CDCT-I0", await RectangleAsync(at, -900, -900, -800, -800));
        var file = ImportService.FeatureCollection(
            ImportService.Square(at.Lon + 0.01, at.Lat + 0.01, 0.001, """{"cdc_code": "CDCT-I1", "cdc_name": "Conselho importado 1", "election_date": "2025-11-02", "hh": 120}"""),
            ImportService.Square(at.Lon + 0.012, at.Lat + 0.01, 0.001, """{"cdc_code": "CDCT-I2", "cdc_name": "Conselho importado 2"}"""));
        Assert.Equal("succeeded", await ImportCouncilsAsync(admin, file));

        Assert.Equal(120L, await service.Db.ScalarAsync<long>("SELECT households FROM councils WHERE code = 'CDCT-I1'"));
        Assert.Equal("2025-11-02", await service.Db.ScalarAsync<string>("SELECT elected_on::text FROM councils WHERE code = 'CDCT-I1'"));
        Assert.Equal(1L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM councils WHERE id = $1", existing));
        // Imported councils have no members yet, so both are listed as breaking the composition rule.
        var violations = await OkAsync(await admin.GetAsync($"/api/cities/{Rio}/councils/violations", Ct));
        Assert.Contains(violations.GetProperty("violations").EnumerateArray(), v => v.GetProperty("code").GetString() == "CDCT-I2");

        using var anonymous = service.Api.CreateClient();
        var feed = await OkAsync(await anonymous.GetAsync("/collections/councils/items?limit=1000", Ct));
        var i1 = feed.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("properties").GetProperty("code").GetString() == "CDCT-I1");
        Assert.Equal("Conselho importado 1", i1.GetProperty("properties").GetProperty("name").GetString());
        Assert.Equal("no-woman,no-displaced", i1.GetProperty("properties").GetProperty("composition").GetString());
        Assert.Equal("MultiPolygon", i1.GetProperty("geometry").GetProperty("type").GetString());

        // The same codes again are refused: councils are added, never overwritten.
        Assert.Equal("failed", await ImportCouncilsAsync(admin, file));
        Assert.Equal(1L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM councils WHERE code = 'CDCT-I1'"));
    }
}
