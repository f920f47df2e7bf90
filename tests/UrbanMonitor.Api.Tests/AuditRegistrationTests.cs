using System.Net;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;
using static UrbanMonitor.Api.Tests.TransactionsTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Issue 11: registry writes through the API are logged under the officer who made them, with the rights
/// and versions they wrote.</summary>
public class AuditRegistrationTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ARegistrationAndItsApprovalAreLoggedUnderTheirOfficers()
    {
        service.Require();
        var id = await PropertyAsync(service, service.FreeSpot(), "7301", "Audit Holder");
        using var admin = service.Client(TestTokens.For("admin"));
        var page = await OkAsync(await admin.GetAsync($"/api/audit?record={Uri.EscapeDataString($"{{\"id\":{id}}}")}&table=properties", Ct));
        var entries = page.GetProperty("entries").EnumerateArray().ToList();
        // created by the land officer, then verified and registered by the supervisor (newest first)
        Assert.Equal(["supervisor", "supervisor", "land.officer"], entries.Select(e => e.GetProperty("actor").GetString()!));
        Assert.Equal("insert", entries[^1].GetProperty("action").GetString());
        Assert.Equal("registered", entries[0].GetProperty("after").GetProperty("status").GetString());
        Assert.Equal("verified", entries[0].GetProperty("before").GetProperty("status").GetString());
        var rights = await OkAsync(await admin.GetAsync($"/api/audit?table=rights&limit=1000", Ct));
        Assert.Contains(rights.GetProperty("entries").EnumerateArray(),
            e => e.GetProperty("after").GetProperty("property_id").GetInt64() == id && e.GetProperty("actor").GetString() == "land.officer");
        Assert.True((await OkAsync(await admin.GetAsync("/api/audit/verify", Ct))).GetProperty("intact").GetBoolean());
        Assert.Equal(HttpStatusCode.Forbidden, (await service.Client(Officer).GetAsync("/api/audit", Ct)).StatusCode);
    }
}
