using System.Globalization;
using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// <c>/api/indicators/{code}?at=</c>: the indicator as the registry and the settlements layer were at an instant. Each test
/// counts the state at T straight from the tables before anything changes, then changes things after T through the real
/// workflow, and checks that <c>at=T</c> gives the count of then while now gives the new one.
/// </summary>
public class IndicatorsAtTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<JsonElement> GetAsync(string url) => service.Api.GetOkJsonAsync(url);

    private async Task<string> InstantAsync()
    {
        var t = await service.Db.ScalarAsync<DateTime>("SELECT clock_timestamp()");
        await Task.Delay(20, Ct); // later transactions start strictly after T
        return t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
    }

    private static async Task OkAsync(HttpResponseMessage response)
    {
        using (response) Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task CoverageAndTenureAtAnEarlierInstantLeaveOutLaterRegistrationsAndRights()
    {
        const string Counts = """
            SELECT (100.0 * count(*) FILTER (WHERE status = 'registered') / count(*))::float8
            FROM properties WHERE status <> 'retired' AND district_code = '2'
            """;
        const string Documented = """
            SELECT (100.0 * count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rights r WHERE r.property_id = p.id
                   AND r.kind IN ('ownership', 'occupancy-certificate', 'lease') AND r.valid_to IS NULL)) / count(*))::float8
            FROM properties p WHERE p.status <> 'retired' AND p.district_code = '2'
            """;
        // Rounded as the service rounds its percentages (two decimals, .NET's default midpoint rule).
        async Task<double> PercentAsync(string sql) => Math.Round(await service.Db.ScalarAsync<double>(sql), 2);
        var coverageThen = await PercentAsync(Counts);
        var tenureThen = await PercentAsync(Documented);
        var active = await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE status <> 'retired' AND district_code = '2'");
        var registeredThen = await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE status = 'registered' AND district_code = '2'");
        var documentedThen = await service.Db.ScalarAsync<long>("""
            SELECT count(*) FROM properties p WHERE p.status <> 'retired' AND p.district_code = '2' AND EXISTS (SELECT 1 FROM rights r
                WHERE r.property_id = p.id AND r.kind IN ('ownership', 'occupancy-certificate', 'lease') AND r.valid_to IS NULL)
            """);
        var t = await InstantAsync();

        // After T: three properties of district 2 verified and registered by a supervisor, and one gets an owner.
        var ids = new List<long>();
        await using (var cmd = service.Db.DataSource.CreateCommand("SELECT id FROM properties p WHERE status = 'surveyed' AND district_code = '2' AND NOT EXISTS (SELECT 1 FROM rights r WHERE r.property_id = p.id) ORDER BY id LIMIT 3"))
        await using (var r = await cmd.ExecuteReaderAsync(Ct))
            while (await r.ReadAsync(Ct)) ids.Add(r.GetInt64(0));
        Assert.Equal(3, ids.Count);
        using (var supervisor = service.Api.CreateClient().WithToken(TestTokens.For("supervisor")))
            foreach (var id in ids)
            {
                await OkAsync(await supervisor.PostAsync($"/api/properties/{id}/verify", null, Ct));
                await OkAsync(await supervisor.PostAsync($"/api/properties/{id}/register", null, Ct));
            }
        await service.Db.ScalarAsync<long>("""
            WITH party AS (INSERT INTO parties (city_id, kind, name) SELECT city_id, 'person', 'Later Owner' FROM properties WHERE id = $1 RETURNING city_id, id)
            INSERT INTO rights (city_id, property_id, party_id, kind, share) SELECT city_id, $1, id, 'ownership', 1 FROM party RETURNING id
            """, ids[0]);

        var coverageNow = await PercentAsync(Counts);
        Assert.Equal(Math.Round(100.0 * registeredThen / active, 2), coverageThen);
        Assert.Equal(Math.Round(100.0 * (registeredThen + 3) / active, 2), coverageNow);
        var now = await GetAsync("/api/indicators/registration-coverage?city=synthetic&district=2");
        var then = await GetAsync($"/api/indicators/registration-coverage?city=synthetic&district=2&at={t}");
        Assert.Equal(coverageNow, now.GetProperty("value").GetDouble());
        Assert.Equal(coverageThen, then.GetProperty("value").GetDouble());
        Assert.NotEqual(now.GetProperty("value").GetDouble(), then.GetProperty("value").GetDouble());
        Assert.Equal(active, then.GetProperty("inputs").GetProperty("active").GetInt64());
        Assert.Contains("property_versions", then.GetProperty("provenance").GetProperty("parameters").GetProperty("asOf").GetString());

        var tenureNow = await GetAsync("/api/indicators/tenure-security?city=synthetic&district=2");
        var tenureAt = await GetAsync($"/api/indicators/tenure-security?city=synthetic&district=2&at={t}");
        Assert.Equal(await PercentAsync(Documented), tenureNow.GetProperty("value").GetDouble());
        Assert.Equal(tenureThen, tenureAt.GetProperty("value").GetDouble());
        Assert.Equal(Math.Round(100.0 * (documentedThen + 1) / active, 2), tenureNow.GetProperty("value").GetDouble());

        // The whole city at T: the same as summing every district's count then.
        var cityAt = await GetAsync($"/api/indicators/registration-coverage?city=synthetic&at={t}");
        var cityNow = await GetAsync("/api/indicators/registration-coverage?city=synthetic");
        Assert.Equal(cityNow.GetProperty("inputs").GetProperty("registered").GetInt64() - 3, cityAt.GetProperty("inputs").GetProperty("registered").GetInt64());
    }

    [Fact]
    public async Task SlumShareAtAnEarlierInstantReadsTheSettlementRoundsOfThen()
    {
        const string Share = "SELECT (100.0 * (SELECT sum(population) FROM settlements) / (SELECT sum(population) FROM districts))::float8";
        var shareThen = Math.Round(await service.Db.ScalarAsync<double>(Share), 2);
        var t = await InstantAsync();
        // After T: a new survey round of one settlement counts 5,000 more people.
        await service.Db.ScalarAsync<long>("""
            WITH u AS (UPDATE settlements SET population = population + 5000, survey_round = '2099'
                       WHERE id = (SELECT min(id) FROM settlements WHERE population IS NOT NULL) RETURNING 1)
            SELECT count(*) FROM u
            """);
        var shareNow = Math.Round(await service.Db.ScalarAsync<double>(Share), 2);
        Assert.True(shareNow > shareThen);

        var now = await GetAsync("/api/indicators/11.1.1?city=synthetic");
        var then = await GetAsync($"/api/indicators/11.1.1?city=synthetic&at={t}");
        Assert.Equal(shareNow, now.GetProperty("value").GetDouble());
        Assert.Equal(shareThen, then.GetProperty("value").GetDouble());
        // The explain view at T lists the settlements of then, adding up to the value.
        var e = await GetAsync($"/api/indicators/11.1.1/explain?city=synthetic&at={t}");
        var settlements = e.GetProperty("terms").EnumerateArray().Single(x => x.GetProperty("name").GetString() == "settlementPopulation");
        Assert.Equal(await service.Db.ScalarAsync<double>("SELECT sum(population)::float8 - 5000 FROM settlements"), settlements.GetProperty("total").GetDouble());
        // Before anything was recorded there are no settlements: a reason, not a number.
        var before = await GetAsync("/api/indicators/11.1.1?city=synthetic&at=2000-01-01");
        Assert.Equal(JsonValueKind.Null, before.GetProperty("value").ValueKind);
        Assert.Contains("No settlement population", before.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("/api/indicators/11.2.1?city=synthetic&at=2020-01-01", "keep no history")]
    [InlineData("/api/indicators/11.1.1?city=synthetic&at=yesterday", "RFC 3339")]
    public async Task AtIsRefusedWithAReasonWhereItCannotBeHonoured(string url, string reason)
    {
        using var client = service.Api.CreateClient();
        using var response = await client.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task AtTheLastDayOfTheCalendarIsTheRegistryAsItIsNow()
    {
        // 9999-12-31 means the end of that day, and no day follows it (this once threw in the parser: a 500).
        var now = await GetAsync("/api/indicators/registration-coverage?city=synthetic&district=2");
        var last = await GetAsync("/api/indicators/registration-coverage?city=synthetic&district=2&at=9999-12-31");
        Assert.Equal(now.GetProperty("value").GetDouble(), last.GetProperty("value").GetDouble());
        Assert.Equal(now.GetProperty("inputs").GetProperty("active").GetInt64(), last.GetProperty("inputs").GetProperty("active").GetInt64());
    }
}
