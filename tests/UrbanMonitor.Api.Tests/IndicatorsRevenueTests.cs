using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// The service-charge indicators on the synthetic city: rules put, district 1 assessed for fiscal years 1400 and 1402
/// (Solar Hijri) and payments taken through the real revenue API; each figure is checked against straight SQL over the
/// assessments and payments, and the change against a baseline by hand.
/// </summary>
public class IndicatorsRevenueTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static bool _loaded;
    private static readonly SemaphoreSlim Gate = new(1);

    private Task<JsonElement> GetAsync(string url) => service.Api.GetOkJsonAsync(url);

    internal static async Task OkAsync(HttpResponseMessage response)
    {
        using (response) Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }

    /// <summary>Puts a flat rule (10 AFN/m², at least 500) for each fiscal year and assesses the districts named, through
    /// the revenue API as a supervisor.</summary>
    internal static async Task AssessAsync(ApiFactory api, int[] years, params string[] districts)
    {
        using var supervisor = api.CreateClient().WithToken(TestTokens.For("supervisor"));
        var rule = new { defaultLandUse = "residential", minimum = 500, exemptLandUses = Array.Empty<string>(), rates = new[] { new { landUse = "residential", ratePerM2 = 10 } } };
        foreach (var year in years)
        {
            await OkAsync(await supervisor.PutAsJsonAsync($"/api/cities/synthetic/service-charges/rules/{year}", rule, Ct));
            foreach (var district in districts)
                await OkAsync(await supervisor.PostAsync($"/api/cities/synthetic/service-charges/assessments?year={year}&district={district}", null, Ct));
        }
    }

    /// <summary>Fiscal year 1400: 4 properties of district 1 pay 1,000 AFN each; 1402: 7 pay 2,000 and one of them 500 more.</summary>
    private async Task LoadAsync()
    {
        await Gate.WaitAsync(Ct);
        try
        {
            if (_loaded) return;
            await AssessAsync(service.Api, [1400, 1402], "1");
            using var officer = service.Api.CreateClient().WithToken(TestTokens.For("land-officer"));
            var ids = new List<long>();
            await using (var cmd = service.Db.DataSource.CreateCommand("SELECT id FROM properties WHERE district_code = '1' ORDER BY id LIMIT 7"))
            await using (var r = await cmd.ExecuteReaderAsync(Ct))
                while (await r.ReadAsync(Ct)) ids.Add(r.GetInt64(0));
            foreach (var id in ids.Take(4))
                await OkAsync(await officer.PostAsJsonAsync($"/api/properties/{id}/payments", new { amount = 1000, date = "2021-06-01", method = "cash" }, Ct));
            foreach (var id in ids)
                await OkAsync(await officer.PostAsJsonAsync($"/api/properties/{id}/payments", new { amount = 2000, date = "2023-06-01", method = "bank" }, Ct));
            await OkAsync(await officer.PostAsJsonAsync($"/api/properties/{ids[0]}/payments", new { amount = 500, date = "2024-01-10", method = "mobile" }, Ct));
            _loaded = true;
        }
        finally { Gate.Release(); }
    }

    [Fact]
    public async Task RevenueAndCollectionRateOfAFiscalYearEqualTheSumsOfItsPaymentsAndAssessments()
    {
        await LoadAsync();
        var revenue = await GetAsync("/api/indicators/service-charge-revenue?city=synthetic&year=1402");
        var collected = await service.Db.ScalarAsync<decimal>("SELECT sum(amount) FROM charge_payments WHERE fiscal_year = 1402");
        Assert.Equal(14_500m, collected);
        Assert.Equal((double)collected, revenue.GetProperty("value").GetDouble());
        Assert.Equal("AFN", revenue.GetProperty("unit").GetString());
        Assert.Equal(7, revenue.GetProperty("inputs").GetProperty("paying").GetInt64());

        var rate = await GetAsync("/api/indicators/service-charge-collection-rate?city=synthetic&year=1400&district=1");
        var expected = await service.Db.ScalarAsync<double>("""
            SELECT (100 * (SELECT sum(amount) FROM charge_payments WHERE fiscal_year = 1400)
                         / (SELECT sum(amount) FROM charge_assessments WHERE fiscal_year = 1400 AND district_code = '1'))::float8
            """);
        Assert.Equal(Math.Round(expected, 2), rate.GetProperty("value").GetDouble());
        Assert.Equal(await service.Db.ScalarAsync<long>("SELECT count(*) FROM charge_assessments WHERE fiscal_year = 1400"),
            rate.GetProperty("inputs").GetProperty("assessed").GetInt64());

        // Without ?year= the latest fiscal year with data; another district has none at all.
        Assert.Equal(revenue.GetProperty("value").GetDouble(), (await GetAsync("/api/indicators/service-charge-revenue?city=synthetic")).GetProperty("value").GetDouble());
        var other = await GetAsync("/api/indicators/service-charge-revenue?city=synthetic&district=2");
        Assert.Equal(JsonValueKind.Null, other.GetProperty("value").ValueKind);
        Assert.Contains("No service-charge assessments or payments", other.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ChangeAgainstABaselineYearGivesRevenueAndPayingGrowthOrSaysTheBaselineHasNoData()
    {
        await LoadAsync();
        var change = await GetAsync("/api/indicators/service-charge-change?city=synthetic&year=1402&baseline=1400");
        // By hand: revenue 4,000 → 14,500 AFN is +262.5 %; properties paying 4 → 7 is +75 %.
        Assert.Equal(262.5, change.GetProperty("value").GetDouble());
        Assert.Equal(75, change.GetProperty("inputs").GetProperty("payingChange").GetDouble());
        Assert.Equal(4000, change.GetProperty("inputs").GetProperty("baselineCollected").GetDouble());
        Assert.Equal(1400, change.GetProperty("provenance").GetProperty("parameters").GetProperty("baselineYear").GetInt32());
        // The defaults are the latest and the earliest years with data: the same pair.
        Assert.Equal(262.5, (await GetAsync("/api/indicators/service-charge-change?city=synthetic")).GetProperty("value").GetDouble());

        var empty = await GetAsync("/api/indicators/service-charge-change?city=synthetic&year=1402&baseline=1399");
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("value").ValueKind);
        Assert.Equal("The baseline fiscal year 1399 has no service-charge assessments or payments (years with data: 1400, 1402).",
            empty.GetProperty("reason").GetString());

        using var client = service.Api.CreateClient();
        using var bad = await client.GetAsync("/api/indicators/service-charge-change?city=synthetic&baseline=last-year", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
    }
}
