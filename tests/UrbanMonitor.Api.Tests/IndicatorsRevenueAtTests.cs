using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// The service-charge indicators as of an earlier instant (<c>?at=</c>): figures taken at an instant, then more payments
/// and a re-assessment at a higher rate (booked as ledger adjustments); asked as of that instant afterwards, every
/// figure is what it was then, while now it has moved.
/// </summary>
public class IndicatorsRevenueAtTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<JsonElement> GetAsync(string url) => service.Api.GetOkJsonAsync(url);

    private async Task PayAsync(HttpClient officer, int count, int skip, int amount, string date)
    {
        var ids = new List<long>();
        await using (var cmd = service.Db.DataSource.CreateCommand("SELECT id FROM properties WHERE district_code = '1' ORDER BY id OFFSET $1 LIMIT $2"))
        {
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = skip });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = count });
            await using var r = await cmd.ExecuteReaderAsync(Ct);
            while (await r.ReadAsync(Ct)) ids.Add(r.GetInt64(0));
        }
        foreach (var id in ids)
            await IndicatorsRevenueTests.OkAsync(await officer.PostAsJsonAsync($"/api/properties/{id}/payments", new { amount, date, method = "cash" }, Ct));
    }

    [Fact]
    public async Task AsOfAnEarlierInstantTheServiceChargeFiguresAreThoseRecordedByThen()
    {
        await IndicatorsRevenueTests.AssessAsync(service.Api, [1400, 1402], "1");
        using var officer = service.Api.CreateClient().WithToken(TestTokens.For("land-officer"));
        await PayAsync(officer, 3, 0, 1000, "2021-06-01");
        await PayAsync(officer, 4, 0, 2000, "2023-06-01");
        var urls = new[] { "service-charge-revenue", "service-charge-collection-rate", "service-charge-change" }
            .SelectMany(code => new[] { $"/api/indicators/{code}?city=synthetic", $"/api/indicators/{code}?city=synthetic&district=1" }).ToList();
        var then = new Dictionary<string, JsonElement>();
        foreach (var url in urls) then[url] = await GetAsync(url);
        var instant = await service.Db.ScalarAsync<DateTime>("SELECT now()");
        var at = Uri.EscapeDataString(instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        await Task.Delay(50, Ct);

        // Later: more payments for 1402, and 1402 re-assessed at twice the rate (the differences booked as adjustments).
        await PayAsync(officer, 5, 10, 700, "2023-07-01");
        using (var supervisor = service.Api.CreateClient().WithToken(TestTokens.For("supervisor")))
        {
            var rule = new { defaultLandUse = "residential", minimum = 500, exemptLandUses = Array.Empty<string>(), rates = new[] { new { landUse = "residential", ratePerM2 = 20 } } };
            await IndicatorsRevenueTests.OkAsync(await supervisor.PutAsJsonAsync("/api/cities/synthetic/service-charges/rules/1402", rule, Ct));
            await IndicatorsRevenueTests.OkAsync(await supervisor.PostAsync("/api/cities/synthetic/service-charges/assessments?year=1402&district=1", null, Ct));
        }
        Assert.True(await service.Db.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE kind = 'adjustment' AND fiscal_year = 1402") > 0);

        foreach (var url in urls)
        {
            var now = await GetAsync(url);
            var asOf = await GetAsync($"{url}&at={at}");
            var before = then[url];
            Assert.Equal(before.GetProperty("value").ToString(), asOf.GetProperty("value").ToString());
            foreach (var input in before.GetProperty("inputs").EnumerateObject())
                Assert.True(input.Value.ToString() == asOf.GetProperty("inputs").GetProperty(input.Name).ToString(),
                    $"{url} {input.Name}: then {input.Value}, as of then {asOf.GetProperty("inputs").GetProperty(input.Name)}");
            Assert.Equal(instant.ToUniversalTime(), asOf.GetProperty("provenance").GetProperty("parameters").GetProperty("at").GetDateTime().ToUniversalTime(), TimeSpan.FromMilliseconds(1));
            Assert.NotEqual(before.GetProperty("inputs").GetProperty("collected").GetDouble(), now.GetProperty("inputs").GetProperty("collected").GetDouble());
        }
        // The amount assessed now is the doubled one; as of then, the first assessment's.
        var assessedNow = (await GetAsync("/api/indicators/service-charge-revenue?city=synthetic")).GetProperty("inputs").GetProperty("assessedAmount").GetDouble();
        Assert.Equal(await service.Db.ScalarAsync<double>("SELECT sum(amount)::float8 FROM charge_assessments WHERE fiscal_year = 1402"), assessedNow, 0.005);
        Assert.True(assessedNow > then[urls[0]].GetProperty("inputs").GetProperty("assessedAmount").GetDouble());

        // Before anything was recorded: no data, a reason rather than a number.
        var empty = await GetAsync("/api/indicators/service-charge-revenue?city=synthetic&at=2000-01-01");
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("value").ValueKind);
        Assert.Contains("No service-charge", empty.GetProperty("reason").GetString());
        using var client = service.Api.CreateClient();
        using var refused = await client.GetAsync("/api/indicators/11.7.1?city=synthetic&at=2020-01-01", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("service-charge-revenue", await refused.Content.ReadAsStringAsync(Ct));
    }
}
