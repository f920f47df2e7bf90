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

    [Fact]
    public async Task AnOgcClientNamesTheCrsOfItsBodyInContentCrsAndAnUnusableOneIsRefused()
    {
        using var officer = service.Client(Officer);
        var spot = service.FreeSpot();
        var square = Square(spot);
        // The same square in UTM zone 42N (Mazar), as an OGC client sending EPSG:32642 writes it.
        var utm = await service.Db.ScalarAsync<string>("SELECT ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), 32642), 3)", square);
        var before = await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties");

        async Task<HttpResponseMessage> PostAsync(string geometry, string block, string contentCrs)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/collections/properties/items") { Content = Feature(geometry, "1", block, "1") };
            request.Headers.TryAddWithoutValidation("Content-Crs", contentCrs);
            return await officer.SendAsync(request, Ct);
        }

        using var created = await PostAsync(utm, "OGCCRS", "<http://www.opengis.net/def/crs/EPSG/0/32642>");
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var id = long.Parse(created.Headers.Location!.ToString().Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        // Stored where the client meant it (within a centimetre), not read as longitude/latitude.
        Assert.True(await service.Db.ScalarAsync<bool>(
            "SELECT ST_Distance(ST_Centroid(geom)::geography, ST_Centroid(ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))::geography) < 0.01 FROM properties WHERE id = $1", id, square));

        // Latitude first (EPSG:4326 as a URI) is not taken in writes, nor a CRS the service does not know: nothing is written.
        await AssertProblemAsync(await PostAsync(Square(service.FreeSpot()), "OGCCRS", "<http://www.opengis.net/def/crs/EPSG/0/4326>"), 400, "invalid-crs");
        await AssertProblemAsync(await PostAsync(Square(service.FreeSpot()), "OGCCRS", "<http://www.opengis.net/def/crs/EPSG/0/999999>"), 400, "invalid-crs");
        Assert.Equal(before + 1, await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties"));
    }
}
