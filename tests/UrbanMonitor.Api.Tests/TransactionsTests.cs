using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Registry transactions (sale, inheritance, mortgage, discharge, correction) and disputes on the real Mazar data.</summary>
public partial class TransactionsTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(JsonElement Transaction, string ValidFrom)> ApplyAsync(long property, object body)
    {
        using var officer = service.Client(Officer);
        using var supervisor = service.Client(Supervisor);
        var lodged = await OkAsync(await officer.PostAsync($"/api/properties/{property}/transactions", Json(body), Ct), HttpStatusCode.Created);
        Assert.Equal("lodged", lodged.GetProperty("status").GetString());
        using var approve = await supervisor.PostAsync($"/api/transactions/{lodged.GetProperty("id").GetInt64()}/approve", null, Ct);
        var approved = await OkAsync(approve);
        Assert.Equal("approved", approved.GetProperty("status").GetString());
        Assert.Equal($"\"v{approved.GetProperty("appliedVersion").GetInt32()}\"", approve.Headers.ETag?.Tag);
        var feature = await OkAsync(await supervisor.GetAsync($"/api/properties/{property}", Ct));
        Assert.Equal(approved.GetProperty("appliedVersion").GetInt32(), feature.GetProperty("properties").GetProperty("version").GetInt32());
        return (approved, feature.GetProperty("properties").GetProperty("validFrom").GetString()!);
    }

    private static async Task<long> RightIdAsync(HttpClient staff, long property, string kind)
    {
        var f = await OkAsync(await staff.GetAsync($"/api/properties/{property}", Ct));
        return f.GetProperty("properties").GetProperty("rights").EnumerateArray().Single(r => r.GetProperty("kind").GetString() == kind).GetProperty("id").GetInt64();
    }

    /// <summary>The property's service-charge ledger, checked to balance (each running balance is the sum of the entries
    /// before it, and the total is what the database holds); returns the balance.</summary>
    private async Task<decimal> BalancedLedgerAsync(HttpClient staff, long property)
    {
        var ledger = await OkAsync(await staff.GetAsync($"/api/properties/{property}/ledger", Ct));
        var running = 0m;
        foreach (var e in ledger.GetProperty("entries").EnumerateArray())
        {
            running += e.GetProperty("debit").GetDecimal() - e.GetProperty("credit").GetDecimal();
            Assert.Equal(running, e.GetProperty("balance").GetDecimal());
        }
        Assert.Equal(running, ledger.GetProperty("balance").GetDecimal());
        Assert.Equal(running, await service.Db.ScalarAsync<decimal>("SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE property_id = $1", property));
        return running;
    }

    [Fact]
    public async Task APropertyGoesThroughSaleInheritanceToThreeHeirsMortgageAndDischargeWithSharesHistoryAndAtEachStep()
    {
        service.Require();
        var id = await PropertyAsync(service, service.FreeSpot(), "501", "Abdul Rahim");
        var deed = await DocumentAsync(service, $"property:{id}", Pdf("sale deed"));
        using var staff = service.Client(Supervisor);
        var registeredAt = (await OkAsync(await staff.GetAsync($"/api/properties/{id}", Ct))).GetProperty("properties").GetProperty("validFrom").GetString()!;

        // The service charge of fiscal year 1404, partly paid: the debt stays with the property through every transaction.
        using (var rule = new HttpRequestMessage(HttpMethod.Put, "/api/cities/mazar-e-sharif/service-charges/rules/1404")
               { Content = Json(new { defaultLandUse = "residential", minimum = 500, rates = new[] { new { landUse = "residential", ratePerM2 = 10 } } }) })
            await OkAsync(await staff.SendAsync(rule, Ct));
        await OkAsync(await staff.PostAsync("/api/cities/mazar-e-sharif/service-charges/assessments?year=1404&district=1", null, Ct));
        var charged = (await OkAsync(await staff.GetAsync($"/api/properties/{id}/assessments/1404", Ct))).GetProperty("amount").GetDecimal();
        Assert.True(charged >= 500m);
        await OkAsync(await staff.PostAsync($"/api/properties/{id}/payments", Json(new { amount = 300m, date = "2025-06-01", method = "cash" }), Ct), HttpStatusCode.Created);
        var owed = charged - 300m;
        Assert.Equal(owed, await BalancedLedgerAsync(staff, id));

        // Lodged is not applied: the rights stay until a supervisor approves.
        using var officer = service.Client(Officer);
        var lodged = await OkAsync(await officer.PostAsync($"/api/properties/{id}/transactions", Json(new
        {
            kind = "sale", documentId = deed, open = new[] { new { share = 1, party = new { name = "Fatima Karimi", idDocument = "TZ-9" } } },
        }), Ct), HttpStatusCode.Created);
        Assert.Equal("Abdul Rahim:ownership:1", await RightsAsync(staff, id));
        // A second transaction waits for the first.
        await AssertProblemAsync(await officer.PostAsync($"/api/properties/{id}/transactions", Json(new
        {
            kind = "mortgage", documentId = deed, open = new[] { new { party = new { kind = "organisation", name = "Bank" } } },
        }), Ct), 409, "transaction-pending");
        // The officer may not approve, a supervisor may.
        await AssertProblemAsync(await officer.PostAsync($"/api/transactions/{lodged.GetProperty("id").GetInt64()}/approve", null, Ct), 403, "forbidden-role");
        var approved = await OkAsync(await staff.PostAsync($"/api/transactions/{lodged.GetProperty("id").GetInt64()}/approve", null, Ct));
        Assert.Equal(deed, approved.GetProperty("document").GetInt64());
        var afterSale = (await OkAsync(await staff.GetAsync($"/api/properties/{id}", Ct))).GetProperty("properties").GetProperty("validFrom").GetString()!;
        Assert.Equal("Fatima Karimi:ownership:1", await RightsAsync(staff, id));
        Assert.Equal(owed, await BalancedLedgerAsync(staff, id));

        var certificate = await DocumentAsync(service, $"property:{id}", Pdf("inheritance certificate"));
        var (_, afterInheritance) = await ApplyAsync(id, new
        {
            kind = "inheritance", documentId = certificate, reason = "death of Fatima Karimi",
            open = new[]
            {
                new { share = 0.5m, party = new { name = "Heir One", idDocument = "H1" } },
                new { share = 0.25m, party = new { name = "Heir Two", idDocument = "H2" } },
                new { share = 0.25m, party = new { name = "Heir Three", idDocument = "H3" } },
            },
        });
        Assert.Equal("Heir One:ownership:0.5 Heir Three:ownership:0.25 Heir Two:ownership:0.25", await RightsAsync(staff, id));
        Assert.Equal(owed, await BalancedLedgerAsync(staff, id));

        var mortgageDeed = await DocumentAsync(service, $"property:{id}", Pdf("mortgage deed"));
        var (_, afterMortgage) = await ApplyAsync(id, new
        {
            kind = "mortgage", documentId = mortgageDeed, open = new[] { new { party = new { kind = "organisation", name = "Kabul Bank" } } },
        });
        Assert.Equal("Heir One:ownership:0.5 Heir Three:ownership:0.25 Heir Two:ownership:0.25 Kabul Bank:mortgage:1", await RightsAsync(staff, id));
        Assert.Equal(owed, await BalancedLedgerAsync(staff, id));

        var release = await DocumentAsync(service, $"property:{id}", Pdf("release"));
        var mortgage = await RightIdAsync(staff, id, "mortgage");
        var (_, afterDischarge) = await ApplyAsync(id, new { kind = "discharge", documentId = release, close = new[] { mortgage } });
        Assert.Equal("Heir One:ownership:0.5 Heir Three:ownership:0.25 Heir Two:ownership:0.25", await RightsAsync(staff, id));
        // The heirs pay the rest; the ledger balances at zero.
        await OkAsync(await staff.PostAsync($"/api/properties/{id}/payments", Json(new { amount = owed, date = "2025-09-01", method = "bank" }), Ct), HttpStatusCode.Created);
        Assert.Equal(0m, await BalancedLedgerAsync(staff, id));

        // ?at= gives the rights as they were at each step.
        Assert.Equal("Abdul Rahim:ownership:1", await RightsAsync(staff, id, registeredAt));
        Assert.Equal("Fatima Karimi:ownership:1", await RightsAsync(staff, id, afterSale));
        Assert.Equal("Heir One:ownership:0.5 Heir Three:ownership:0.25 Heir Two:ownership:0.25", await RightsAsync(staff, id, afterInheritance));
        Assert.Contains("Kabul Bank:mortgage:1", await RightsAsync(staff, id, afterMortgage));
        Assert.DoesNotContain("Kabul Bank", await RightsAsync(staff, id, afterDischarge));
        // The owners' shares sum to 1 at every version.
        Assert.Equal(0, await service.Db.ScalarAsync<long>("""
            SELECT count(*) FROM property_versions v
            WHERE v.property_id = $1 AND v.status = 'registered'
              AND (SELECT sum(share) FROM rights r WHERE r.property_id = v.property_id AND r.kind = 'ownership'
                   AND r.valid_from <= v.valid_from AND (r.valid_to IS NULL OR r.valid_to > v.valid_from)) <> 1
            """, id));

        // The history shows each step in order, with the transaction and its reason.
        var history = await OkAsync(await staff.GetAsync($"/api/properties/{id}/history", Ct));
        var reasons = history.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("reason").GetString()!).ToArray();
        Assert.Equal(new[] { "created", "verified", "registered" }, reasons[..3]);
        Assert.StartsWith("sale (transaction ", reasons[3]);
        Assert.StartsWith("inheritance (transaction ", reasons[4]);
        Assert.EndsWith(": death of Fatima Karimi", reasons[4]);
        Assert.StartsWith("mortgage (transaction ", reasons[5]);
        Assert.StartsWith("discharge (transaction ", reasons[6]);
        Assert.Equal(7, reasons.Length);
        var list = await OkAsync(await staff.GetAsync($"/api/properties/{id}/transactions", Ct));
        Assert.Equal(new[] { "sale", "inheritance", "mortgage", "discharge" }, list.EnumerateArray().Select(t => t.GetProperty("kind").GetString()!).ToArray());
    }

    [Fact]
    public async Task TransfersOfUnregisteredPropertiesWithBadSharesOrWithoutADocumentAreRefusedAndNothingChanges()
    {
        service.Require();
        var spot = service.FreeSpot();
        var surveyed = await PropertyAsync(service, spot, "601", "Owner A", upTo: "surveyed");
        var registered = await PropertyAsync(service, spot, "602", "Owner B", east: 20);
        var deed = await DocumentAsync(service, $"property:{registered}", Pdf("deed"));
        using var officer = service.Client(Officer);
        var before = await service.CountsAsync();
        var sale = new { kind = "sale", documentId = deed, open = new[] { new { share = 1, party = new { name = "Buyer" } } } };
        var refused = await AssertProblemAsync(await officer.PostAsync($"/api/properties/{surveyed}/transactions", Json(sale), Ct), 409, "status-conflict");
        Assert.Contains("surveyed", refused.GetProperty("detail").GetString());
        await AssertProblemAsync(await officer.PostAsync($"/api/properties/{registered}/transactions", Json(new
        {
            kind = "inheritance", documentId = deed, open = new[] { new { share = 0.5, party = new { name = "H1" } }, new { share = 0.25, party = new { name = "H2" } } },
        }), Ct), 422, "invalid-transaction");
        await AssertProblemAsync(await officer.PostAsync($"/api/properties/{registered}/transactions", Json(new
        {
            kind = "sale", open = new[] { new { share = 1, party = new { name = "Buyer" } } },
        }), Ct), 422, "document-not-found");
        await AssertProblemAsync(await officer.PostAsync($"/api/properties/{registered}/transactions", Json(new
        {
            kind = "correction", documentId = deed, open = new[] { new { share = 1, party = new { name = "Right Name" } } },
        }), Ct), 422, "invalid-transaction");
        Assert.Equal(before, await service.CountsAsync());
        Assert.Equal(0, await service.Db.ScalarAsync<long>("SELECT count(*) FROM transactions WHERE property_id = ANY($1)", new[] { surveyed, registered }));

        // A correction keeps its reason; a rejection applies nothing and keeps its reason too.
        using var supervisor = service.Client(Supervisor);
        var owner = await RightIdAsync(supervisor, registered, "ownership");
        var correction = await OkAsync(await officer.PostAsync($"/api/properties/{registered}/transactions", Json(new
        {
            kind = "correction", documentId = deed, reason = "owner's name misspelt at first registration", close = new[] { owner },
            open = new[] { new { share = 1, party = new { name = "Owner Bee" } } },
        }), Ct), HttpStatusCode.Created);
        await AssertProblemAsync(await supervisor.PostAsync($"/api/transactions/{correction.GetProperty("id").GetInt64()}/reject", Json(new { }), Ct), 422, "invalid-transaction");
        var rejected = await OkAsync(await supervisor.PostAsync($"/api/transactions/{correction.GetProperty("id").GetInt64()}/reject", Json(new { reason = "wrong document" }), Ct));
        Assert.Equal("rejected", rejected.GetProperty("status").GetString());
        Assert.Equal("Owner B:ownership:1", await RightsAsync(supervisor, registered));
        await AssertProblemAsync(await supervisor.PostAsync($"/api/transactions/{correction.GetProperty("id").GetInt64()}/approve", null, Ct), 409, "status-conflict");
        var (applied, _) = await ApplyAsync(registered, new
        {
            kind = "correction", documentId = deed, reason = "owner's name misspelt at first registration", close = new[] { owner },
            open = new[] { new { share = 1, party = new { name = "Owner Bee" } } },
        });
        Assert.Equal("owner's name misspelt at first registration", applied.GetProperty("reason").GetString());
        Assert.Equal("Owner Bee:ownership:1", await RightsAsync(supervisor, registered));

        // Four eyes: an admin who lodged may not approve.
        using var admin = service.Client(TestTokens.For("admin"));
        var lodged = await OkAsync(await admin.PostAsync($"/api/properties/{registered}/transactions", Json(sale), Ct), HttpStatusCode.Created);
        await AssertProblemAsync(await admin.PostAsync($"/api/transactions/{lodged.GetProperty("id").GetInt64()}/approve", null, Ct), 403, "four-eyes");
    }

    [Fact]
    public async Task ADisputedPropertyCannotBeVerifiedRegisteredOrTransferredUntilTheDisputeIsResolvedWithADecisionAndDocument()
    {
        service.Require();
        var spot = service.FreeSpot();
        var claim = await PropertyAsync(service, spot, "701", "Claimant", upTo: "surveyed");
        var registered = await PropertyAsync(service, spot, "702", "Owner", east: 20);
        var deed = await DocumentAsync(service, $"property:{registered}", Pdf("deed"));
        using var neighbour = service.Client(TestTokens.For("gis-reader"));
        using var officer = service.Client(Officer);
        using var supervisor = service.Client(Supervisor);

        // Anyone logged in with a stake lodges in their own name; a non-user's objection is recorded by an officer.
        AssertUnauthorized(await service.Client().PostAsync($"/api/properties/{claim}/disputes", Json(new { statement = "mine" }), Ct));
        var own = await OkAsync(await neighbour.PostAsync($"/api/properties/{claim}/disputes", Json(new { kind = "boundary", statement = "The east wall is on my land." }), Ct), HttpStatusCode.Created);
        Assert.Equal("Test gis-reader", own.GetProperty("objector").GetString());
        await AssertProblemAsync(await neighbour.PostAsync($"/api/properties/{claim}/disputes", Json(new { statement = "x", objector = new { name = "Someone" } }), Ct), 403, "forbidden-role");
        var recorded = await OkAsync(await officer.PostAsync($"/api/properties/{registered}/disputes", Json(new
        {
            kind = "claim", statement = "Says she inherited a half share.", objector = new { name = "Maryam (no account)" },
        }), Ct), HttpStatusCode.Created);
        Assert.Equal("Maryam (no account)", recorded.GetProperty("objector").GetString());

        var blocked = await AssertProblemAsync(await supervisor.PostAsync($"/api/properties/{claim}/verify", null, Ct), 409, "disputed");
        Assert.Contains("/api/disputes/" + own.GetProperty("id").GetInt64(), blocked.GetProperty("detail").GetString());
        var sale = new { kind = "sale", documentId = deed, open = new[] { new { share = 1, party = new { name = "Buyer" } } } };
        await AssertProblemAsync(await officer.PostAsync($"/api/properties/{registered}/transactions", Json(sale), Ct), 409, "disputed");

        // Resolution needs a supervisor, a decision and a document.
        var disputeId = recorded.GetProperty("id").GetInt64();
        await AssertProblemAsync(await officer.PostAsync($"/api/disputes/{disputeId}/resolve", Json(new { decision = "rejected", documentId = deed }), Ct), 403, "forbidden-role");
        await AssertProblemAsync(await supervisor.PostAsync($"/api/disputes/{disputeId}/resolve", Json(new { decision = "rejected" }), Ct), 422, "document-not-found");
        var decisionDoc = await DocumentAsync(service, $"dispute:{disputeId}", Pdf("decision"), "decision", "decision.pdf");
        var resolved = await OkAsync(await supervisor.PostAsync($"/api/disputes/{disputeId}/resolve", Json(new { decision = "Claim rejected: no will.", documentId = decisionDoc }), Ct));
        Assert.Equal("resolved", resolved.GetProperty("status").GetString());
        Assert.Equal(decisionDoc, resolved.GetProperty("decisionDocument").GetInt64());
        await AssertProblemAsync(await supervisor.PostAsync($"/api/disputes/{disputeId}/resolve", Json(new { decision = "again", documentId = decisionDoc }), Ct), 409, "status-conflict");

        // Four eyes: the supervisor who recorded an objection at the counter does not decide it; another approver does,
        // and the work queue says so before anyone tries.
        var counter = await OkAsync(await supervisor.PostAsync($"/api/properties/{claim}/disputes", Json(new
        {
            kind = "boundary", statement = "Recorded at the counter.", objector = new { name = "Walk-in objector" },
        }), Ct), HttpStatusCode.Created);
        var counterId = counter.GetProperty("id").GetInt64();
        var counterDoc = await DocumentAsync(service, $"dispute:{counterId}", Pdf("counter decision"), "decision", "counter.pdf");
        var queued = (await OkAsync(await supervisor.GetAsync("/api/disputes?city=mazar-e-sharif&limit=500", Ct))).GetProperty("items")
            .EnumerateArray().Single(i => i.GetProperty("id").GetInt64() == counterId);
        Assert.False(queued.GetProperty("canDecide").GetBoolean());
        Assert.Equal("four-eyes", queued.GetProperty("whyNot").GetString());
        await AssertProblemAsync(await supervisor.PostAsync($"/api/disputes/{counterId}/resolve", Json(new { decision = "mine", documentId = counterDoc }), Ct), 403, "four-eyes");
        using (var admin = service.Client(TestTokens.For("admin")))
            Assert.Equal("resolved", (await OkAsync(await admin.PostAsync($"/api/disputes/{counterId}/resolve", Json(new { decision = "Line confirmed.", documentId = counterDoc }), Ct))).GetProperty("status").GetString());

        // Now the sale goes through; a dispute lodged between lodging and approval stops the approval.
        var lodged = await OkAsync(await officer.PostAsync($"/api/properties/{registered}/transactions", Json(sale), Ct), HttpStatusCode.Created);
        await OkAsync(await neighbour.PostAsync($"/api/properties/{registered}/disputes", Json(new { statement = "Sold without my consent." }), Ct), HttpStatusCode.Created);
        await AssertProblemAsync(await supervisor.PostAsync($"/api/transactions/{lodged.GetProperty("id").GetInt64()}/approve", null, Ct), 409, "disputed");
        Assert.Equal("Owner:ownership:1", await RightsAsync(supervisor, registered));
        // The lodger reads their own dispute; other readers do not.
        await OkAsync(await neighbour.GetAsync($"/api/disputes/{own.GetProperty("id").GetInt64()}", Ct));
        await AssertProblemAsync(await service.Client(TestTokens.For("planner")).GetAsync($"/api/disputes/{own.GetProperty("id").GetInt64()}", Ct), 403, "forbidden-role");
    }

    [Fact]
    public async Task EveryNewWriteNeedsALoginTheRightRoleAndTheDistrict()
    {
        service.Require();
        var id = await PropertyAsync(service, service.FreeSpot(), "801", "Owner");
        var deed = await DocumentAsync(service, $"property:{id}", Pdf("deed"));
        var anonymous = service.Client();
        using var reader = service.Client(TestTokens.For("gis-reader"));
        using var elsewhere = service.Client(TestTokens.For("land-officer", "mazar-e-sharif:2"));
        var sale = Json(new { kind = "sale", documentId = deed, open = new[] { new { share = 1, party = new { name = "B" } } } });
        foreach (var (url, body) in new (string, object?)[]
        {
            ($"/api/properties/{id}/transactions", new { kind = "sale" }), ("/api/transactions/1/approve", null), ("/api/transactions/1/reject", new { reason = "x" }),
            ($"/api/properties/{id}/disputes", new { statement = "x" }), ("/api/disputes/1/resolve", new { decision = "x" }),
            ("/api/displays", new { city = "mazar-e-sharif", district = "1" }), ("/api/displays/1/close", null), ($"/api/documents?record=property:{id}", null),
        })
            AssertUnauthorized(await anonymous.PostAsync(url, body is null ? null : Json(body), Ct));
        AssertUnauthorized(await anonymous.PutAsync($"/api/properties/{id}/address", Json(new { street = "a", locality = "b" }), Ct));

        await AssertProblemAsync(await reader.PostAsync($"/api/properties/{id}/transactions", sale, Ct), 403, "forbidden-role");
        await AssertProblemAsync(await elsewhere.PostAsync($"/api/properties/{id}/transactions", sale, Ct), 403, "forbidden-district");
        await AssertProblemAsync(await reader.PutAsync($"/api/properties/{id}/address", Json(new { street = "a", locality = "b" }), Ct), 403, "forbidden-role");
        await AssertProblemAsync(await elsewhere.PutAsync($"/api/properties/{id}/address", Json(new { street = "a", locality = "b" }), Ct), 403, "forbidden-district");
        await AssertProblemAsync(await reader.PostAsync("/api/displays", Json(new { city = "mazar-e-sharif", district = "1" }), Ct), 403, "forbidden-role");
        using var png = new ByteArrayContent([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]);
        await AssertProblemAsync(await reader.PostAsync($"/api/documents?record=property:{id}", png, Ct), 403, "forbidden-role");
        await AssertProblemAsync(await elsewhere.GetAsync($"/api/documents/{deed}/content", Ct), 403, "forbidden-district");
        AssertUnauthorized(await anonymous.GetAsync($"/api/transactions/1", Ct));
    }

    [Fact]
    public async Task APropertysAddressIsShownInItsJsonToEveryone()
    {
        service.Require();
        var id = await PropertyAsync(service, service.FreeSpot(), "901", "Owner", upTo: "surveyed");
        using var officer = service.Client(Officer);
        await AssertProblemAsync(await officer.PutAsync($"/api/properties/{id}/address", Json(new { street = "Balkh Road" }), Ct), 422, "invalid-property");
        var address = await OkAsync(await officer.PutAsync($"/api/properties/{id}/address", Json(new { street = "Balkh Road", number = "12A", locality = "Karte Ariana" }), Ct));
        Assert.Equal("12A", address.GetProperty("number").GetString());
        var feature = await OkAsync(await service.Client().GetAsync($"/api/properties/{id}", Ct));
        var shown = feature.GetProperty("properties").GetProperty("address");
        Assert.Equal("Balkh Road", shown.GetProperty("street").GetString());
        Assert.Equal("Karte Ariana", shown.GetProperty("locality").GetString());
        Assert.Equal(JsonValueKind.Null, feature.GetProperty("properties").GetProperty("rights").ValueKind);
    }
}
