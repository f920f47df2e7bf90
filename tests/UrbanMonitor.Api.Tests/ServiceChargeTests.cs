using System.Globalization;
using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>The service charge on the real Mazar data: rules, set-wise assessment, payments, the ledger, invoices and
/// receipts, the district summary. Each test uses its own fiscal years so the tests of the class do not disturb each other.</summary>
public class ServiceChargeTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly PersianCalendar Persian = new();

    private static object Rule(decimal commercialInDistrict1 = 30m, decimal residential = 10m) => new
    {
        defaultLandUse = "residential",
        minimum = 500,
        maximum = 100_000,
        exemptLandUses = new[] { "public" },
        rates = new object[]
        {
            new { landUse = "residential", ratePerM2 = residential },
            new { landUse = "commercial", ratePerM2 = 20 },
            new { landUse = "commercial", zone = "1", ratePerM2 = commercialInDistrict1 },
        },
    };

    private async Task PutRuleAsync(int year, object rule)
    {
        using var supervisor = service.Client(Supervisor);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/cities/mazar-e-sharif/service-charges/rules/{year}") { Content = Json(rule) };
        await OkAsync(await supervisor.SendAsync(request, Ct));
    }

    private async Task<JsonElement> AssessAsync(int year)
    {
        using var supervisor = service.Client(Supervisor);
        return await OkAsync(await supervisor.PostAsync($"/api/cities/mazar-e-sharif/service-charges/assessments?year={year}&district=1", null, Ct));
    }

    private async Task<long> PropertyAsync(string parcel, string landUse, double side)
    {
        using var officer = service.Client(Officer);
        var created = await OkAsync(await officer.PostAsync("/api/properties",
            Feature(Square(service.FreeSpot(), side), "1", "88", parcel, attributes: new { land_use = landUse }), Ct), HttpStatusCode.Created);
        return created.GetProperty("id").GetInt64();
    }

    /// <summary>Asserts the ledger balances: the sum of its entries is its balance and every running balance adds up.</summary>
    private async Task<JsonElement> BalancedLedgerAsync(long id, int? year = null)
    {
        using var officer = service.Client(Officer);
        var ledger = await OkAsync(await officer.GetAsync($"/api/properties/{id}/ledger" + (year is null ? "" : $"?year={year}"), Ct));
        var running = 0m;
        foreach (var e in ledger.GetProperty("entries").EnumerateArray())
        {
            running += e.GetProperty("debit").GetDecimal() - e.GetProperty("credit").GetDecimal();
            Assert.Equal(running, e.GetProperty("balance").GetDecimal());
        }
        Assert.Equal(running, ledger.GetProperty("balance").GetDecimal());
        Assert.Equal(ledger.GetProperty("debits").GetDecimal() - ledger.GetProperty("credits").GetDecimal(), running);
        var dbBalance = await service.Db.ScalarAsync<decimal>("SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE property_id = $1", id);
        Assert.Equal(dbBalance, running);
        var outstanding = ledger.GetProperty("years").EnumerateArray().Sum(y => y.GetProperty("outstanding").GetDecimal());
        if (running >= 0) Assert.Equal(running, outstanding);
        return ledger;
    }

    private async Task<JsonElement> AssessmentAsync(long id, int year)
    {
        using var officer = service.Client(Officer);
        return await OkAsync(await officer.GetAsync($"/api/properties/{id}/assessments/{year}", Ct));
    }

    private async Task<JsonElement> PayAsync(long id, decimal amount, string date, string? key = null, HttpStatusCode status = HttpStatusCode.Created)
    {
        using var officer = service.Client(Officer);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/properties/{id}/payments")
        {
            Content = Json(new { amount, date, method = "cash", reference = "counter 3" }),
        };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return await OkAsync(await officer.SendAsync(request, Ct), status);
    }

    [Fact]
    public async Task RuleAssessPayPartLedgerBalancesAndArrearsCarryIntoTheNextYear()
    {
        service.Require();
        await PutRuleAsync(1401, Rule());
        var shop = await PropertyAsync("1", "commercial", 15);
        var school = await PropertyAsync("2", "public", 15);
        var hut = await PropertyAsync("3", "residential", 5);
        var unknown = await PropertyAsync("4", "orchard", 15);
        Assert.Equal(0m, (await BalancedLedgerAsync(shop)).GetProperty("balance").GetDecimal());

        var run = await AssessAsync(1401);
        Assert.True(run.GetProperty("assessed").GetInt64() >= 4);

        var a = await AssessmentAsync(shop, 1401);
        var area = a.GetProperty("inputs").GetProperty("areaM2").GetDecimal();
        Assert.InRange(area, 220m, 230m);
        Assert.Equal("commercial", a.GetProperty("inputs").GetProperty("landUse").GetString());
        Assert.Equal("1", a.GetProperty("inputs").GetProperty("zone").GetString());
        Assert.Equal(30m, a.GetProperty("rule").GetProperty("ratePerM2").GetDecimal());
        var charged = Math.Round(area * 30m, 2);
        Assert.Equal(charged, a.GetProperty("amount").GetDecimal());
        var invoice = a.GetProperty("invoiceNumber").GetString()!;
        Assert.Matches(@"^MZR-1401-\d{6}$", invoice);
        var s = await AssessmentAsync(school, 1401);
        Assert.True(s.GetProperty("rule").GetProperty("exempt").GetBoolean());
        Assert.Equal(0m, s.GetProperty("amount").GetDecimal());
        Assert.Equal(500m, (await AssessmentAsync(hut, 1401)).GetProperty("amount").GetDecimal()); // 25 m² × 10 below the minimum
        var u = await AssessmentAsync(unknown, 1401);
        Assert.Equal("residential", u.GetProperty("inputs").GetProperty("landUse").GetString());
        Assert.Equal(Math.Round(u.GetProperty("inputs").GetProperty("areaM2").GetDecimal() * 10m, 2), u.GetProperty("amount").GetDecimal());
        Assert.Equal(charged, (await BalancedLedgerAsync(shop)).GetProperty("balance").GetDecimal());
        Assert.Empty((await BalancedLedgerAsync(school)).GetProperty("entries").EnumerateArray());

        // Pay part, with a retry of the same request: one payment, one receipt.
        var paid = await PayAsync(shop, 2000m, "2022-05-01", key: "shop-1401-a");
        var again = await PayAsync(shop, 2000m, "2022-05-01", key: "shop-1401-a");
        Assert.Equal(paid.GetProperty("receiptNumber").GetString(), again.GetProperty("receiptNumber").GetString());
        Assert.Equal(1401, paid.GetProperty("fiscalYear").GetInt32());
        Assert.Equal(charged - 2000m, paid.GetProperty("balanceAfter").GetDecimal());
        var ledger = await BalancedLedgerAsync(shop, 1401);
        Assert.Equal(2, ledger.GetProperty("entries").GetArrayLength());
        Assert.Equal(charged - 2000m, ledger.GetProperty("balance").GetDecimal());
        Assert.Equal(0m, ledger.GetProperty("arrears").GetDecimal());

        // Re-running changes nothing; a changed rule books the difference as an adjustment and keeps the invoice number.
        await AssessAsync(1401);
        Assert.Equal(2, (await BalancedLedgerAsync(shop)).GetProperty("entries").GetArrayLength());
        await PutRuleAsync(1401, Rule(commercialInDistrict1: 40m));
        var rerun = await AssessAsync(1401);
        Assert.True(rerun.GetProperty("adjustments").GetInt64() >= 1);
        var recharged = Math.Round(area * 40m, 2);
        a = await AssessmentAsync(shop, 1401);
        Assert.Equal(recharged, a.GetProperty("amount").GetDecimal());
        Assert.Equal(invoice, a.GetProperty("invoiceNumber").GetString());
        ledger = await BalancedLedgerAsync(shop);
        var adjustment = ledger.GetProperty("entries").EnumerateArray().Last();
        Assert.Equal("adjustment", adjustment.GetProperty("kind").GetString());
        Assert.Equal(recharged - charged, adjustment.GetProperty("debit").GetDecimal());
        Assert.Equal(recharged - 2000m, ledger.GetProperty("balance").GetDecimal());

        // The next year: what is unpaid of 1401 is arrears.
        await PutRuleAsync(1402, Rule());
        await AssessAsync(1402);
        ledger = await BalancedLedgerAsync(shop, 1402);
        Assert.Equal(recharged - 2000m, ledger.GetProperty("arrears").GetDecimal());
        Assert.Equal(recharged - 2000m + charged, ledger.GetProperty("balance").GetDecimal());
        // A payment in 1402 pays the oldest charge first.
        await PayAsync(shop, 1000m, "2023-06-01");
        ledger = await BalancedLedgerAsync(shop, 1402);
        Assert.Equal(recharged - 3000m, ledger.GetProperty("arrears").GetDecimal());

        // The invoice of 1402, in JSON and as a printable page in both languages and calendars.
        var invoice1402 = (await AssessmentAsync(shop, 1402)).GetProperty("invoiceNumber").GetString()!;
        using var officer = service.Client(Officer);
        var json = await OkAsync(await officer.GetAsync($"/api/invoices/{invoice1402}?format=json", Ct));
        Assert.Equal(recharged - 3000m, json.GetProperty("arrears").GetDecimal());
        Assert.Equal(charged, json.GetProperty("outstanding").GetDecimal());
        using var html = await officer.GetAsync($"/api/invoices/{invoice1402}", Ct);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        var page = await html.Content.ReadAsStringAsync(Ct);
        Assert.Contains("lang=\"fa\" dir=\"rtl\"", page);
        Assert.Contains(invoice1402, page);
        Assert.Contains("1402/01/01 SH", page); // the fiscal year starts on 1 Hamal
        Assert.Contains("2023-03-21", page);
        Assert.Contains("@media print", page);
        Assert.Contains("AFN", page);
        Assert.Contains("افغانی", page);
        Assert.Contains("۱۴۰۲/۰۱/۰۱", page);

        var receipt = paid.GetProperty("receiptNumber").GetString()!;
        var receiptPage = await (await officer.GetAsync($"/api/receipts/{receipt}", Ct)).Content.ReadAsStringAsync(Ct);
        var d = new DateTime(2022, 5, 1);
        Assert.Contains($"{Persian.GetYear(d):D4}/{Persian.GetMonth(d):D2}/{Persian.GetDayOfMonth(d):D2} SH · 2022-05-01", receiptPage);
        Assert.Contains("lang=\"fa\" dir=\"rtl\"", receiptPage);
        var receiptJson = await OkAsync(await officer.GetAsync($"/api/receipts/{receipt}?format=json", Ct));
        Assert.Equal(2000m, receiptJson.GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task ReceiptAndInvoiceNumbersAreGaplessUnderConcurrency()
    {
        service.Require();
        var id = await PropertyAsync("20", "residential", 12);
        var before = await service.Db.ScalarAsync<long>("SELECT count(*) FROM charge_payments WHERE fiscal_year = 1399");
        var payments = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => PayAsync(id, 10m + i, "2020-06-01", key: "burst-" + i)));
        Assert.Equal(16, payments.Select(p => p.GetProperty("receiptNumber").GetString()).Distinct().Count());
        var numbers = await service.Db.ScalarAsync<string>("""
            SELECT string_agg(receipt_number, ',' ORDER BY receipt_number) FROM charge_payments WHERE fiscal_year = 1399
            """);
        var expected = string.Join(",", Enumerable.Range(1, (int)before + 16).Select(n => "MZR-1399-R" + n.ToString("D6", CultureInfo.InvariantCulture)));
        Assert.Equal(expected, numbers);
        await BalancedLedgerAsync(id);

        // Two assessment runs at once: every property gets one invoice, numbered 1..N without a gap.
        await PutRuleAsync(1398, Rule());
        await Task.WhenAll(AssessAsync(1398), AssessAsync(1398));
        var (count, max, distinct) = (
            await service.Db.ScalarAsync<long>("SELECT count(*) FROM charge_assessments WHERE fiscal_year = 1398"),
            await service.Db.ScalarAsync<int>("SELECT max(substr(invoice_number, 10)::int) FROM charge_assessments WHERE fiscal_year = 1398"),
            await service.Db.ScalarAsync<long>("SELECT count(DISTINCT invoice_number) FROM charge_assessments WHERE fiscal_year = 1398"));
        Assert.Equal(await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE district_code = '1' AND status <> 'retired' AND city_id = (SELECT id FROM cities WHERE slug = 'mazar-e-sharif')"), count);
        Assert.Equal(count, max);
        Assert.Equal(count, distinct);
        Assert.Equal(await service.Db.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE fiscal_year = 1398 AND kind = 'charge'"),
            await service.Db.ScalarAsync<long>("SELECT count(*) FROM charge_assessments WHERE fiscal_year = 1398 AND amount > 0"));
    }

    [Fact]
    public async Task InvoiceNumbersPastTheMillionthKeepEveryDigit()
    {
        service.Require();
        // A city-year whose counter already stands at 999,998: the next invoices are 999999, 1000000, 1000001 …, never a
        // seven-digit number cut back to six (which would repeat invoice 100000 and fail the assessment).
        await PutRuleAsync(1396, Rule());
        await service.Db.ScalarAsync<long>("""
            WITH c AS (INSERT INTO number_counters (city_id, series, fiscal_year, last)
                       SELECT id, 'invoice', 1396, 999998 FROM cities WHERE slug = 'mazar-e-sharif'
                       ON CONFLICT (city_id, series, fiscal_year) DO UPDATE SET last = 999998 RETURNING 1)
            SELECT count(*) FROM c
            """);
        await AssessAsync(1396);
        var count = await service.Db.ScalarAsync<long>("SELECT count(*) FROM charge_assessments WHERE fiscal_year = 1396");
        Assert.True(count >= 3, $"only {count} properties assessed");
        Assert.Equal(count, await service.Db.ScalarAsync<long>("SELECT count(DISTINCT invoice_number) FROM charge_assessments WHERE fiscal_year = 1396"));
        var expected = string.Join(",", Enumerable.Range(999_999, (int)count).Select(n => "MZR-1396-" + n.ToString("D6", CultureInfo.InvariantCulture)));
        Assert.Equal(expected, await service.Db.ScalarAsync<string>(
            "SELECT string_agg(invoice_number, ',' ORDER BY substr(invoice_number, 10)::int) FROM charge_assessments WHERE fiscal_year = 1396"));
    }

    [Fact]
    public async Task BadRulesAndPaymentsAreRefusedWith4xxAndChangeNothing()
    {
        service.Require();
        await PutRuleAsync(1396, Rule());
        using var supervisor = service.Client(Supervisor);
        async Task Refused(int year, object body, int status, string type)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/cities/mazar-e-sharif/service-charges/rules/{year}") { Content = Json(body) };
            await AssertProblemAsync(await supervisor.SendAsync(request, Ct), status, type);
        }
        var rules = await service.Db.ScalarAsync<long>("SELECT count(*) FROM charge_rules");
        await Refused(1395, new { rates = new[] { new { landUse = "residential", ratePerM2 = -1 } } }, 422, "invalid-charge-rule");
        await Refused(1395, new { rates = new[] { new { landUse = "palace", ratePerM2 = 1 } } }, 422, "invalid-charge-rule");
        await Refused(1395, new { rates = new[] { new { landUse = "residential", zone = "99", ratePerM2 = 1 } } }, 422, "invalid-charge-rule");
        await Refused(1395, new { rates = new[] { new { landUse = "residential", ratePerM2 = 1 } }, minimum = 10, maximum = 5 }, 422, "invalid-charge-rule");
        await Refused(1395, new { rates = new[] { new { landUse = "commercial", ratePerM2 = 1 } } }, 422, "invalid-charge-rule"); // default residential unrated
        // 1395 ending after 1396 has begun (1 Hamal 1396 = 2017-03-21).
        await Refused(1395, new { starts = "2016-03-20", ends = "2017-04-01", rates = new[] { new { landUse = "residential", ratePerM2 = 1 } } }, 409, "overlapping-fiscal-year");
        Assert.Equal(rules, await service.Db.ScalarAsync<long>("SELECT count(*) FROM charge_rules"));

        using var officer = service.Client(Officer);
        using (var request = new HttpRequestMessage(HttpMethod.Put, "/api/cities/mazar-e-sharif/service-charges/rules/1395") { Content = Json(Rule()) })
            await AssertProblemAsync(await officer.SendAsync(request, Ct), 403, "forbidden-role");
        await AssertProblemAsync(await supervisor.PostAsync("/api/cities/mazar-e-sharif/service-charges/assessments?year=1380", null, Ct), 409, "charge-rule-not-found");
        await AssertProblemAsync(await supervisor.PostAsync("/api/cities/mazar-e-sharif/service-charges/assessments", null, Ct), 400, "invalid-parameter");
        var id = await PropertyAsync("30", "residential", 10);
        using (var bad = new HttpRequestMessage(HttpMethod.Post, $"/api/properties/{id}/payments") { Content = Json(new { amount = -5, method = "cash" }) })
            await AssertProblemAsync(await officer.SendAsync(bad, Ct), 422, "invalid-payment");
        using (var bad = new HttpRequestMessage(HttpMethod.Post, $"/api/properties/{id}/payments") { Content = Json(new { amount = 5, method = "gold" }) })
            await AssertProblemAsync(await officer.SendAsync(bad, Ct), 422, "invalid-payment");
        await PayAsync(id, 5m, "2020-07-01", key: "k-30");
        using (var reused = new HttpRequestMessage(HttpMethod.Post, $"/api/properties/{id}/payments") { Content = Json(new { amount = 6, date = "2020-07-01", method = "cash" }) })
        {
            reused.Headers.Add("Idempotency-Key", "k-30");
            await AssertProblemAsync(await officer.SendAsync(reused, Ct), 422, "idempotency-key-reused");
        }
        // A land officer of another district sees no payment records of district 1.
        using var other = service.Client(TestTokens.For("land-officer", "mazar-e-sharif:2"));
        await AssertProblemAsync(await other.GetAsync($"/api/properties/{id}/ledger", Ct), 403, "forbidden-district");
    }

    [Fact]
    public async Task ASupervisorAssessesOnlyTheDistrictsTheyAreAssignedTo()
    {
        service.Require();
        await PutRuleAsync(1389, Rule());
        using var officer2 = service.Client(TestTokens.For("land-officer", "mazar-e-sharif:2"));
        var inDistrict2 = (await OkAsync(await officer2.PostAsync("/api/properties",
            Feature(Square(service.SpotInDistrict2, 15), "2", "88", "1389"), Ct), HttpStatusCode.Created)).GetProperty("id").GetInt64();
        var inDistrict1 = await PropertyAsync("1389", "residential", 15);
        const string count = "SELECT count(*) FROM charge_assessments WHERE fiscal_year = 1389 AND property_id = $1";

        // A supervisor of district 1 writes no charges into district 2's ledgers, named or as part of the whole city.
        using var supervisor = service.Client(Supervisor);
        await AssertProblemAsync(await supervisor.PostAsync("/api/cities/mazar-e-sharif/service-charges/assessments?year=1389&district=2", null, Ct),
            403, "forbidden-district");
        var run = await OkAsync(await supervisor.PostAsync("/api/cities/mazar-e-sharif/service-charges/assessments?year=1389", null, Ct));
        Assert.Equal(["1"], run.GetProperty("districts").EnumerateArray().Select(d => d.GetString()!));
        Assert.Equal(1L, await service.Db.ScalarAsync<long>(count, inDistrict1));
        Assert.Equal(0L, await service.Db.ScalarAsync<long>(count, inDistrict2));

        // A supervisor of every district assesses the whole city.
        using var everywhere = service.Client(TestTokens.For("supervisor"));
        await OkAsync(await everywhere.PostAsync("/api/cities/mazar-e-sharif/service-charges/assessments?year=1389", null, Ct));
        Assert.Equal(1L, await service.Db.ScalarAsync<long>(count, inDistrict2));
    }

    [Fact]
    public async Task AnonymousGets401Everywhere()
    {
        service.Require();
        using var anonymous = service.Client();
        AssertUnauthorized(await anonymous.GetAsync("/api/properties/1/ledger", Ct));
        AssertUnauthorized(await anonymous.PostAsync("/api/properties/1/payments", Json(new { amount = 5 }), Ct));
        AssertUnauthorized(await anonymous.GetAsync("/api/invoices/MZR-1401-000001", Ct));
        AssertUnauthorized(await anonymous.GetAsync("/api/receipts/MZR-1401-R000001", Ct));
        AssertUnauthorized(await anonymous.GetAsync("/api/properties/1/assessments/1401", Ct));
        AssertUnauthorized(await anonymous.GetAsync("/api/cities/mazar-e-sharif/service-charges/summary?year=1401", Ct));
        AssertUnauthorized(await anonymous.PutAsync("/api/cities/mazar-e-sharif/service-charges/rules/1401", Json(Rule()), Ct));
        AssertUnauthorized(await anonymous.PostAsync("/api/cities/mazar-e-sharif/service-charges/assessments?year=1401", null, Ct));
    }

    [Fact]
    public async Task DistrictSummaryEqualsAStraightSqlComputation()
    {
        service.Require();
        await PutRuleAsync(1404, Rule());
        await PutRuleAsync(1405, Rule());
        var a = await PropertyAsync("40", "commercial", 15);
        var b = await PropertyAsync("41", "residential", 15);
        await AssessAsync(1404);
        await AssessAsync(1405);
        await PayAsync(a, 1234.5m, "2025-05-01");
        await PayAsync(b, 100m, "2026-04-01");
        await PayAsync(b, 50m, "2026-05-01");

        using var supervisor = service.Client(Supervisor);
        var summary = await OkAsync(await supervisor.GetAsync("/api/cities/mazar-e-sharif/service-charges/summary?year=1405", Ct));
        // Straight SQL: per property first, then per district.
        var expected = await service.Db.ScalarAsync<string>("""
            WITH per AS (
                SELECT p.district_code AS d,
                       (SELECT amount FROM charge_assessments x WHERE x.property_id = p.id AND x.fiscal_year = 1405) AS assessed,
                       (SELECT sum(amount) FROM charge_payments y WHERE y.property_id = p.id AND y.fiscal_year = 1405) AS collected,
                       greatest(0, coalesce((SELECT sum(amount) FROM ledger_entries l WHERE l.property_id = p.id AND l.kind <> 'payment' AND l.fiscal_year < 1405), 0)
                                 - coalesce((SELECT sum(amount) FROM charge_payments y WHERE y.property_id = p.id), 0)) AS arrears
                FROM properties p WHERE p.city_id = (SELECT id FROM cities WHERE slug = 'mazar-e-sharif')
            )
            SELECT string_agg(concat_ws(':', d.code, coalesce(t.n, 0), coalesce(t.paying, 0), coalesce(t.assessed, 0)::numeric(14,2),
                                        coalesce(t.collected, 0)::numeric(14,2), coalesce(t.arrears, 0)::numeric(14,2)), ';' ORDER BY d.code)
            FROM districts d
            LEFT JOIN (SELECT d, count(assessed) AS n, count(collected) AS paying, sum(assessed) AS assessed, sum(collected) AS collected, sum(arrears) AS arrears
                       FROM per GROUP BY d) t ON t.d = d.code
            WHERE d.city_id = (SELECT id FROM cities WHERE slug = 'mazar-e-sharif')
            """);
        var actual = string.Join(";", summary.GetProperty("districts").EnumerateArray().Select(x => string.Join(":",
            x.GetProperty("district").GetString(), x.GetProperty("propertiesAssessed").GetInt64(), x.GetProperty("paying").GetInt64(),
            x.GetProperty("amountAssessed").GetDecimal().ToString("0.00", CultureInfo.InvariantCulture),
            x.GetProperty("collected").GetDecimal().ToString("0.00", CultureInfo.InvariantCulture),
            x.GetProperty("arrears").GetDecimal().ToString("0.00", CultureInfo.InvariantCulture))));
        Assert.Equal(expected, actual);
        var one = summary.GetProperty("districts").EnumerateArray().Single(x => x.GetProperty("district").GetString() == "1");
        Assert.True(one.GetProperty("paying").GetInt64() >= 1);
        Assert.True(one.GetProperty("arrears").GetDecimal() > 0);
        Assert.Equal(Math.Round(one.GetProperty("collected").GetDecimal() / one.GetProperty("amountAssessed").GetDecimal(), 4),
            one.GetProperty("collectionRate").GetDecimal());
        var totals = summary.GetProperty("totals");
        Assert.Equal(summary.GetProperty("districts").EnumerateArray().Sum(x => x.GetProperty("amountAssessed").GetDecimal()), totals.GetProperty("amountAssessed").GetDecimal());
        Assert.Equal(summary.GetProperty("districts").EnumerateArray().Sum(x => x.GetProperty("collected").GetDecimal()), totals.GetProperty("collected").GetDecimal());
    }
}
