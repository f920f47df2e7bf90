using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// The cross-property work queues (<c>/api/transactions?city=</c>, <c>/api/disputes?city=</c>,
/// <c>/api/cities/{slug}/work-queue</c>): content, districts, roles, four eyes and keyset paging, and that
/// <c>canDecide</c> agrees with what the approve endpoint then does.
/// </summary>
public class WorkQueueTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly string Admin = TestTokens.For("admin");
    private static readonly string Supervisor2 = TestTokens.For("supervisor", "mazar-e-sharif:2");

    private static Dictionary<long, JsonElement> Items(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetInt64());

    private async Task<(long OfficerTx, long AdminTx, long Dispute, long DisputedProperty)> LodgedAsync()
    {
        var p1 = await PropertyAsync(service, service.FreeSpot(), "901", "Nasir Ahmadi");
        var p2 = await PropertyAsync(service, service.FreeSpot(), "902", "Zahra Noori");
        var p3 = await PropertyAsync(service, service.FreeSpot(), "903", "Karim Sultani", upTo: "surveyed");
        var deed1 = await DocumentAsync(service, $"property:{p1}", Pdf("sale deed"));
        var deed2 = await DocumentAsync(service, $"property:{p2}", Pdf("mortgage deed"));
        using var officer = service.Client(Officer);
        using var admin = service.Client(Admin);
        var officerTx = await OkAsync(await officer.PostAsync($"/api/properties/{p1}/transactions", Json(new
        {
            kind = "sale", documentId = deed1, open = new[] { new { share = 1, party = new { name = "Layla Hashimi" } } },
        }), Ct), HttpStatusCode.Created);
        var adminTx = await OkAsync(await admin.PostAsync($"/api/properties/{p2}/transactions", Json(new
        {
            kind = "mortgage", documentId = deed2, open = new[] { new { party = new { kind = "organisation", name = "Da Afghanistan Bank" } } },
        }), Ct), HttpStatusCode.Created);
        using var neighbour = service.Client(TestTokens.For("planner"));
        var dispute = await OkAsync(await neighbour.PostAsync($"/api/properties/{p3}/disputes", Json(new { kind = "boundary", statement = "The wall is 2 m inside my yard." }), Ct),
            HttpStatusCode.Created);
        return (officerTx.GetProperty("id").GetInt64(), adminTx.GetProperty("id").GetInt64(), dispute.GetProperty("id").GetInt64(), p3);
    }

    [Fact]
    public async Task EachRoleSeesItsDistrictsPendingItemsAndMayDecideExactlyThoseTheApproveEndpointAccepts()
    {
        service.Require();
        var (officerTx, adminTx, dispute, disputed) = await LodgedAsync();
        const string Url = "/api/transactions?city=mazar-e-sharif";

        // A supervisor of district 1 sees both lodged transactions and may decide both (neither is theirs).
        using var supervisor = service.Client(Supervisor);
        var page = await OkAsync(await supervisor.GetAsync(Url, Ct));
        var items = Items(page);
        Assert.Equal([officerTx, adminTx], items.Keys.Order());
        Assert.All(items.Values, i => Assert.Equal("lodged", i.GetProperty("status").GetString()));
        Assert.All(items.Values, i => Assert.True(i.GetProperty("canDecide").GetBoolean()));
        Assert.Equal("sale", items[officerTx].GetProperty("kind").GetString());
        Assert.Equal("1", items[officerTx].GetProperty("district").GetString());
        Assert.StartsWith("MZR-1-77-901", items[officerTx].GetProperty("code").GetString(), StringComparison.Ordinal);
        Assert.Equal($"/api/transactions/{officerTx}/approve", items[officerTx].GetProperty("approveUrl").GetString());
        Assert.Equal(2, items[officerTx].GetProperty("at").GetArrayLength());
        // Nothing personal about the parties is listed, only the case.
        Assert.DoesNotContain("Layla", page.ToString(), StringComparison.Ordinal);

        // The admin lodged the mortgage: shown, but four eyes keep the admin from deciding it, as the API does.
        using var admin = service.Client(Admin);
        var adminItems = Items(await OkAsync(await admin.GetAsync(Url, Ct)));
        Assert.True(adminItems[adminTx].GetProperty("lodgedByMe").GetBoolean());
        Assert.False(adminItems[adminTx].GetProperty("canDecide").GetBoolean());
        Assert.Equal("four-eyes", adminItems[adminTx].GetProperty("whyNot").GetString());
        Assert.Equal(JsonValueKind.Null, adminItems[adminTx].GetProperty("approveUrl").ValueKind);
        await AssertProblemAsync(await admin.PostAsync($"/api/transactions/{adminTx}/approve", null, Ct), 403, "four-eyes");
        Assert.True(adminItems[officerTx].GetProperty("canDecide").GetBoolean());

        // The land officer sees the district's queue but decides nothing.
        using var officer = service.Client(Officer);
        var officerItems = Items(await OkAsync(await officer.GetAsync(Url, Ct)));
        Assert.Equal(2, officerItems.Count);
        Assert.All(officerItems.Values, i => Assert.Equal("role", i.GetProperty("whyNot").GetString()));
        Assert.True(officerItems[officerTx].GetProperty("lodgedByMe").GetBoolean());
        await AssertProblemAsync(await officer.PostAsync($"/api/transactions/{officerTx}/approve", null, Ct), 403, "forbidden-role");

        // A supervisor of district 2 sees none of district 1's, and may not ask for it.
        using var other = service.Client(Supervisor2);
        Assert.Empty(Items(await OkAsync(await other.GetAsync(Url, Ct))));
        await AssertProblemAsync(await other.GetAsync(Url + "&district=1", Ct), 403, "forbidden-district");

        // Open disputes: the supervisor may resolve; the disputed property is named.
        var disputes = Items(await OkAsync(await supervisor.GetAsync("/api/disputes?city=mazar-e-sharif", Ct)));
        var d = disputes[dispute];
        Assert.Equal(disputed, d.GetProperty("property").GetInt64());
        Assert.Equal("The wall is 2 m inside my yard.", d.GetProperty("statement").GetString());
        Assert.Equal($"/api/disputes/{dispute}/resolve", d.GetProperty("resolveUrl").GetString());
        Assert.DoesNotContain(dispute, Items(await OkAsync(await officer.GetAsync("/api/disputes?city=mazar-e-sharif&status=resolved", Ct))).Keys);

        // The combined queue is the first page of both.
        var queue = await OkAsync(await supervisor.GetAsync("/api/cities/mazar-e-sharif/work-queue", Ct));
        Assert.Equal(2, queue.GetProperty("transactions").GetProperty("items").GetArrayLength());
        Assert.Contains(dispute, Items(queue.GetProperty("disputes")).Keys);

        // Deciding through the listed URL works; the item leaves the pending list and shows as decided.
        await OkAsync(await supervisor.PostAsync(items[officerTx].GetProperty("approveUrl").GetString(), null, Ct));
        Assert.Equal([adminTx], Items(await OkAsync(await supervisor.GetAsync(Url + "&status=pending", Ct))).Keys);
        var approved = Items(await OkAsync(await supervisor.GetAsync(Url + "&status=approved", Ct)));
        Assert.Equal("decided", approved[officerTx].GetProperty("whyNot").GetString());
        await OkAsync(await supervisor.PostAsync($"/api/transactions/{adminTx}/reject", Json(new { reason = "the deed is not signed" }), Ct));
        Assert.Empty(Items(await OkAsync(await supervisor.GetAsync(Url, Ct))));
    }

    [Fact]
    public async Task PagesFollowTheKeysetAndBadRequestsAreProblems()
    {
        service.Require();
        using var supervisor = service.Client(Supervisor);
        // Three open disputes on one surveyed parcel, lodged by three people.
        var p = await PropertyAsync(service, service.FreeSpot(), "911", "Hamid Wardak", upTo: "surveyed");
        var lodged = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            using var neighbour = service.Client(TestTokens.For("planner"));
            lodged.Add((await OkAsync(await neighbour.PostAsync($"/api/properties/{p}/disputes", Json(new { kind = "claim", statement = $"Claim {i}" }), Ct), HttpStatusCode.Created))
                .GetProperty("id").GetInt64());
        }
        var all = Items(await OkAsync(await supervisor.GetAsync("/api/disputes?city=mazar-e-sharif", Ct))).Keys.ToList();
        Assert.Subset(all.ToHashSet(), lodged.ToHashSet());

        var seen = new List<long>();
        string? next = "/api/disputes?city=mazar-e-sharif&limit=2";
        while (next is not null)
        {
            var page = await OkAsync(await supervisor.GetAsync(next, Ct));
            var ids = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToList();
            Assert.InRange(ids.Count, 1, 2);
            seen.AddRange(ids);
            next = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
            if (next is not null) Assert.Contains("after=" + ids[^1], next, StringComparison.Ordinal);
        }
        Assert.Equal(all, seen);
        Assert.Equal(seen.Order(), seen);

        using var anonymous = service.Client();
        AssertUnauthorized(await anonymous.GetAsync("/api/transactions?city=mazar-e-sharif", Ct));
        using var planner = service.Client(TestTokens.For("planner"));
        await AssertProblemAsync(await planner.GetAsync("/api/transactions?city=mazar-e-sharif", Ct), 403, "forbidden-role");
        await AssertProblemAsync(await supervisor.GetAsync("/api/transactions?city=atlantis", Ct), 404, "city-not-found");
        await AssertProblemAsync(await supervisor.GetAsync("/api/transactions", Ct), 400, "bad-request");
        await AssertProblemAsync(await supervisor.GetAsync("/api/transactions?city=mazar-e-sharif&status=open", Ct), 400, "bad-request");
        await AssertProblemAsync(await supervisor.GetAsync("/api/disputes?city=mazar-e-sharif&limit=0", Ct), 400, "bad-request");
        await AssertProblemAsync(await supervisor.GetAsync("/api/disputes?city=mazar-e-sharif&after=x", Ct), 400, "bad-request");
    }
}
