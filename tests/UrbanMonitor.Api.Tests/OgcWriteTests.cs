using System.Net;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>OGC API - Features Part 4 on properties: create, replace, delete (= retire) through the registration rules.</summary>
public class OgcWriteTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnOgcClientCreatesReplacesAndRetiresAParcelWithETagsUnderTheRegistryRules()
    {
        using var officer = service.Client(Officer);
        var spot = service.FreeSpot();

        using var created = await officer.PostAsync("/collections/properties/items", Feature(Square(spot), "1", "OGC", "1"), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();
        Assert.StartsWith("/collections/properties/items/", location);

        using var read = await officer.GetAsync(location, Ct);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("\"v1\"", read.Headers.ETag?.Tag);

        // The registry's rules hold here too: a replacement needs If-Match, and a reason.
        Assert.Equal((HttpStatusCode)428, (await PutAsync(officer, location, Feature(Square(spot, 14), "1", "OGC", "1", reason: "resurvey"), null)).StatusCode);
        using var replaced = await PutAsync(officer, location, Feature(Square(spot, 14), "1", "OGC", "1", reason: "resurvey"), "\"v1\"");
        Assert.True(replaced.StatusCode == HttpStatusCode.OK, await replaced.Content.ReadAsStringAsync(Ct));
        using var again = await officer.GetAsync(location, Ct);
        Assert.Equal("\"v2\"", again.Headers.ETag?.Tag);

        using var delete = new HttpRequestMessage(HttpMethod.Delete, location);
        delete.Headers.TryAddWithoutValidation("If-Match", "\"v2\"");
        using var retired = await officer.SendAsync(delete, Ct);
        Assert.True(retired.IsSuccessStatusCode, await retired.Content.ReadAsStringAsync(Ct));
        var id = long.Parse(location.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("retired", await service.Db.ScalarAsync<string>("SELECT status FROM properties WHERE id = $1", id));

        // Anonymous clients cannot write.
        using var anonymous = service.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/collections/properties/items", Feature(Square(service.FreeSpot()), "1", "OGC", "2"), Ct)).StatusCode);
    }
}
