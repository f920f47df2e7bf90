using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Auth;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// <c>urbanmonitor properties register</c>: the CLI registers through the rules the service applies (they are one
/// library, UrbanMonitor.Database.Registration), as a named user, one transaction per parcel.
/// </summary>
public class CliRegistrationTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject Parcel(string geometry, string district, string block, string parcel, string? city = "mazar-e-sharif", object? rights = null)
    {
        var properties = new JsonObject { ["district"] = district, ["block"] = block, ["parcel"] = parcel };
        if (city is not null) properties["city"] = city;
        if (rights is not null) properties["rights"] = System.Text.Json.JsonSerializer.SerializeToNode(rights);
        return new JsonObject { ["type"] = "Feature", ["geometry"] = JsonNode.Parse(geometry), ["properties"] = properties };
    }

    private async Task<Repo.ProcessResult> RegisterAsync(IEnumerable<JsonObject> features, params string[] options)
    {
        var file = Path.Combine(Path.GetTempPath(), $"um-cli-register-{Guid.NewGuid():N}.geojson");
        var collection = new JsonObject { ["type"] = "FeatureCollection", ["features"] = new JsonArray([.. features.Select(f => f.DeepClone())]) };
        await File.WriteAllTextAsync(file, collection.ToJsonString(), Ct);
        try
        {
            return await Repo.RunAsync("dotnet", [Repo.CliDll, "properties", "register", file, .. options],
                new Dictionary<string, string?> { ["URBANMONITOR_DB"] = service.Db.ConnectionString });
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task TheCliRegistersThroughTheServicesRulesAndReportsEachRefusalWithoutWritingIt()
    {
        service.Require();
        var officer = await Users.AddAsync(service.Db.DataSource, "cli-officer", "CLI Officer", ["land-officer"], ["mazar-e-sharif:1"], Ct);
        var a = service.FreeSpot();
        var (bowTie, _, _) = BowTie(service.FreeSpot());
        var rights = new[] { new { kind = "ownership", share = 1, party = new { kind = "person", name = "محمد کریمی" } } };
        JsonObject[] features =
        [
            Parcel(Square(a, 15), "1", "701", "1", city: null, rights: rights),   // the city comes from --city
            Parcel(Square(a, 15, east: 5), "1", "701", "2"),                       // overlaps 701-1 by 10 m × 15 m
            Parcel(bowTie, "1", "701", "3"),                                       // crosses itself
            Parcel(Square(service.SpotInDistrict2, 15), "2", "701", "4"),          // a district the officer is not assigned to
        ];
        var before = await service.CountsAsync();

        var run = await RegisterAsync(features, "--as", "cli-officer", "--city", "mazar-e-sharif");
        Assert.True(run.ExitCode == 4, run.Output);
        Assert.Contains("1 registered, 3 refused.", run.Stdout);
        Assert.Contains("feature 0: registered MZR-1-701-1", run.Stdout);
        Assert.Matches(@"feature 1: refused, overlap: .*MZR-1-701-1 by 1[45][0-9](\.[0-9]+)? m²", run.Stdout);
        Assert.Matches(@"feature 2: refused, invalid-geometry: Self-intersection.* at POINT", run.Stdout);
        Assert.Contains("feature 3: refused, forbidden-district: You are not assigned to district mazar-e-sharif:2.", run.Stdout);

        // Only the first parcel was written, with its right, as the officer (surveyor and audit log actor).
        Assert.Equal(1L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE block = '701'"));
        Assert.Equal(officer.Id.ToString(), await service.Db.ScalarAsync<string>("SELECT surveyed_by FROM properties WHERE code = 'MZR-1-701-1'"));
        Assert.Equal(1L, await service.Db.ScalarAsync<long>(
            "SELECT count(*) FROM rights r JOIN properties p ON p.id = r.property_id WHERE p.code = 'MZR-1-701-1' AND r.valid_to IS NULL"));
        Assert.Equal("cli-officer", await service.Db.ScalarAsync<string>(
            "SELECT actor FROM audit_log WHERE table_name = 'properties' AND row_key->>'id' = (SELECT id::text FROM properties WHERE code = 'MZR-1-701-1') ORDER BY id LIMIT 1"));

        // The service refuses the overlapping parcel in the same words.
        using var client = service.Client(Officer);
        using var overlap = await client.PostAsync("/api/properties",
            new StringContent(features[1].ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/geo+json")), Ct);
        var problem = await AssertProblemAsync(overlap, 422, "overlap");
        Assert.Contains(problem.GetProperty("detail").GetString()!, run.Stdout);

        // --repair registers the bow tie repaired, as ?repair=true does.
        var repaired = await RegisterAsync([Parcel(bowTie, "1", "701", "3")], "--as", "cli-officer", "--repair");
        Assert.True(repaired.ExitCode == 0, repaired.Output);
        Assert.Contains("registered MZR-1-701-3", repaired.Stdout);
        Assert.Contains("repaired with ST_MakeValid", repaired.Stdout);
        Assert.True(await service.Db.ScalarAsync<bool>("SELECT ST_IsValid(geom) FROM properties WHERE code = 'MZR-1-701-3'"));
        Assert.NotEqual(before, await service.CountsAsync());
    }

    [Fact]
    public async Task UnknownOrUnauthorisedUsersRegisterNothing()
    {
        service.Require();
        await Users.AddAsync(service.Db.DataSource, "cli-planner", "CLI Planner", ["planner"], ["mazar-e-sharif:1"], Ct);
        var parcel = Parcel(Square(service.FreeSpot(), 15), "1", "702", "1");
        var before = await service.CountsAsync();

        var unknown = await RegisterAsync([parcel], "--as", "nobody-here");
        Assert.Equal(5, unknown.ExitCode);
        Assert.Contains("There is no user 'nobody-here'", unknown.Stderr);

        var planner = await RegisterAsync([parcel], "--as", "cli-planner");
        Assert.True(planner.ExitCode == 4, planner.Output);
        Assert.Contains("forbidden-role: This needs the role land-officer or admin.", planner.Stdout);

        var missingAs = await RegisterAsync([parcel]);
        Assert.NotEqual(0, missingAs.ExitCode);
        Assert.Contains("--as LOGIN is required", missingAs.Output);
        Assert.Equal(before, await service.CountsAsync());
    }
}
