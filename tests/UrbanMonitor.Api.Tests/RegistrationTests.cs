using System.Globalization;
using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Registration of properties through <c>/api/properties</c> against the real Mazar parcels.</summary>
public class RegistrationTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheRealMazarParcelsRegisterCleanlyOneByOneAndTheirSurveyNoiseOverlapsAreAccepted()
    {
        service.Require();
        // A fresh city whose district 1 is Mazar's, so the 157 parcels go through every rule against each other.
        await service.Db.ScalarAsync<long>("""
            WITH c AS (INSERT INTO cities (slug, code, name, country) VALUES ('mazar-copy', 'MZC', 'Mazar copy', 'AF') RETURNING id)
            INSERT INTO districts (city_id, code, name, geom)
            SELECT c.id, d.code, d.name, d.geom FROM c, districts d JOIN cities m ON m.id = d.city_id
            WHERE m.slug = 'mazar-e-sharif' AND d.code = '1'
            RETURNING 1
            """);
        using var officer = service.Client(TestTokens.For("land-officer", "mazar-copy:1"));
        using var file = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(service.DataDir, "mazar", "mazar_parcels_district1_sample.geojson"), Ct));
        var posted = 0;
        foreach (var f in file.RootElement.GetProperty("features").EnumerateArray())
        {
            var p = f.GetProperty("properties");
            // ?snap=0: the parcels are stored exactly as surveyed, to compare them with the demo loader's.
            using var response = await officer.PostAsync("/api/properties?snap=0", Feature(f.GetProperty("geometry").GetRawText(),
                p.GetProperty("Dist_No").GetRawText(), p.GetProperty("Block_Numb").GetRawText(), p.GetProperty("Parcel_ID").GetRawText(), city: "mazar-copy"), Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"Parcel {posted} ({p.GetRawText()}) was refused: {body}");
            posted++;
        }
        Assert.Equal(157, posted);
        // The demo loader's rows got their version 1 from the insert trigger too.
        Assert.Equal(157, await service.Db.ScalarAsync<long>(
            "SELECT count(*) FROM property_versions v JOIN cities c ON c.id = v.city_id WHERE c.slug = 'mazar-e-sharif' AND v.version = 1 AND v.reason = 'created' AND v.changed_by IS NULL"));
        Assert.Equal(157, await service.Db.ScalarAsync<long>(
            "SELECT count(*) FROM property_versions v JOIN cities c ON c.id = v.city_id WHERE c.slug = 'mazar-copy' AND v.version = 1 AND v.valid_to IS NULL"));
        // The same parcels in the same places as the demo loader put them.
        Assert.Equal(157, await service.Db.ScalarAsync<long>("""
            SELECT count(*) FROM properties a JOIN cities ca ON ca.id = a.city_id AND ca.slug = 'mazar-copy'
            JOIN properties b ON b.block = a.block AND b.parcel = a.parcel JOIN cities cb ON cb.id = b.city_id AND cb.slug = 'mazar-e-sharif'
            WHERE ST_Equals(a.geom, b.geom)
            """));
        // Survey noise: 99 pairs of neighbours overlap by slivers under 0.001 m², which the 0.5 m² tolerance accepts.
        var slivers = await service.Db.ScalarAsync<string>("""
            SELECT count(*) || ' ' || max(o.area) FROM (
                SELECT ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS area
                FROM properties a JOIN properties b ON a.city_id = b.city_id AND a.id < b.id AND ST_Intersects(a.geom, b.geom)
                JOIN cities c ON c.id = a.city_id AND c.slug = 'mazar-copy') o
            WHERE o.area > 0
            """);
        var parts = slivers.Split(' ');
        Assert.Equal("99", parts[0]);
        Assert.True(double.Parse(parts[1], CultureInfo.InvariantCulture) < 0.001, slivers);
    }

    [Fact]
    public async Task AParcelDrawnOverARegisteredOneIsRefusedWithTheOverlapAreaAndTheConflictingCode()
    {
        service.Require();
        // A 12 m square around a point inside MZR-1-15-22.
        var inside = await service.Db.ScalarAsync<string>(
            "SELECT ST_X(p) || ' ' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM properties WHERE code = 'MZR-1-15-22') x");
        var xy = inside.Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var before = await service.CountsAsync();
        using var officer = service.Client(Officer);
        // ?snap=0: the overlap is compared with the square as drawn (snapping would move its corners onto MZR-1-15-22's).
        using var response = await officer.PostAsync("/api/properties?snap=0", Feature(Square((xy[0], xy[1]), 12, -6, -6), "1", "15", "9001"), Ct);
        var problem = await AssertProblemAsync(response, 422, "overlap");
        var conflict = Assert.Single(problem.GetProperty("conflicts").EnumerateArray(), c => c.GetProperty("code").GetString() == "MZR-1-15-22");
        var area = conflict.GetProperty("overlapM2").GetDouble();
        var expected = await service.Db.ScalarAsync<double>(
            "SELECT ST_Area(ST_Intersection(geom, ST_GeomFromGeoJSON($1))::geography) FROM properties WHERE code = 'MZR-1-15-22'",
            Square((xy[0], xy[1]), 12, -6, -6));
        Assert.True(area > 0.5);
        Assert.Equal(expected, area, 0.01);
        Assert.StartsWith("POLYGON", conflict.GetProperty("overlap").GetString());
        Assert.Contains("MZR-1-15-22", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await service.CountsAsync());
    }

    [Fact]
    public async Task ABowTieIsRefusedWithItsSelfIntersectionPointAndRepairTrueRegistersItRepaired()
    {
        service.Require();
        var (geometry, cx, cy) = BowTie(service.FreeSpot());
        var before = await service.CountsAsync();
        using var officer = service.Client(Officer);
        using var refused = await officer.PostAsync("/api/properties", Feature(geometry, "1", "900", "1"), Ct);
        var problem = await AssertProblemAsync(refused, 422, "invalid-geometry");
        Assert.Equal("Self-intersection", problem.GetProperty("reason").GetString());
        var location = problem.GetProperty("location").GetString()!;
        Assert.StartsWith("POINT(", location);
        var xy = location["POINT(".Length..^1].Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(cx, xy[0], 1e-7);
        Assert.Equal(cy, xy[1], 1e-7);
        Assert.Contains("Self-intersection at POINT(", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await service.CountsAsync());

        using var repaired = await officer.PostAsync("/api/properties?repair=true", Feature(geometry, "1", "900", "1"), Ct);
        Assert.Equal(HttpStatusCode.Created, repaired.StatusCode);
        var feature = await JsonAsync(repaired);
        Assert.Equal("ST_MakeValid", feature.GetProperty("repaired").GetProperty("method").GetString());
        Assert.Equal("MultiPolygon", feature.GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal(2, feature.GetProperty("geometry").GetProperty("coordinates").GetArrayLength());
    }

    [Fact]
    public async Task EveryRefusalIsAProblemAndLeavesTheDatabaseUnchanged()
    {
        service.Require();
        var spot = service.FreeSpot();
        var before = await service.CountsAsync();
        using var officer = service.Client(Officer);
        using var admin = service.Client(TestTokens.For("admin"));
        async Task Refused(HttpClient client, HttpContent body, int status, string type, string url = "/api/properties")
        {
            using var response = await client.PostAsync(url, body, Ct);
            await AssertProblemAsync(response, status, type);
        }
        await Refused(officer, Feature("{\"type\":\"Point\",\"coordinates\":[67.1,36.7]}", "1", "901", "1"), 422, "geometry-type");
        await Refused(officer, Feature("{\"type\":\"Polygon\",\"coordinates\":\"nope\"}", "1", "901", "2"), 422, "invalid-geojson");
        await Refused(officer, Feature(Square(spot, 2), "1", "901", "3"), 422, "implausible-area");
        await Refused(admin, Feature(Square(spot), "3", "901", "4"), 422, "outside-district");
        await Refused(admin, Feature(Square(spot), "77", "901", "5"), 422, "district-not-found");
        await Refused(officer, Feature(Square(spot), "1", "15", "22"), 422, "code-taken");
        await Refused(officer, Feature(Square(spot), "1", "9-1", "6"), 422, "invalid-property");
        await Refused(officer, Feature(Square(spot), "1", "901", "7", city: "atlantis"), 422, "city-not-found");
        await Refused(officer, Feature(Square(spot), "1", "901", "8", rights: new[]
        {
            new { kind = "ownership", share = 0.5, party = new { kind = "person", name = "A" } },
            new { kind = "ownership", share = 0.2, party = new { kind = "person", name = "B" } },
        }), 422, "invalid-property");
        await Refused(officer, Feature(Square(spot), "1", "901", "9"), 400, "invalid-crs", "/api/properties?crs=EPSG:9999");
        // PostgreSQL refuses the NUL character in the second party's name after the property row was written:
        // the whole registration is rolled back.
        await Refused(officer, Feature(Square(spot), "1", "901", "11", rights: new[]
        {
            new { kind = "ownership", share = 0.5, party = new { kind = "person", name = "A" } },
            new { kind = "ownership", share = 0.5, party = new { kind = "person", name = "B\u0000C" } },
        }), 422, "invalid-property");
        await Refused(officer, new StringContent("{\"type\":", System.Text.Encoding.UTF8, "application/json"), 400, "bad-request");
        await Refused(officer, new StringContent("<xml/>", System.Text.Encoding.UTF8, "text/xml"), 415, "unsupported-media-type");
        await Refused(service.Client(TestTokens.For("gis-reader")), Feature(Square(spot), "1", "901", "10"), 403, "forbidden-role");
        using (var anonymous = await service.Client().PostAsync("/api/properties", Feature(Square(spot), "1", "901", "12"), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(before, await service.CountsAsync());
    }

    [Fact]
    public async Task TwoOverlappingParcelsRegisteredAtTheSameMomentCannotBothPass()
    {
        service.Require();
        var spot = service.FreeSpot();
        using var a = service.Client(Officer);
        using var b = service.Client(TestTokens.For("land-officer", "mazar-e-sharif:1"));
        var results = await Task.WhenAll(
            a.PostAsync("/api/properties", Feature(Square(spot, 15), "1", "912", "1"), Ct),
            b.PostAsync("/api/properties", Feature(Square(spot, 15, 5, 5), "1", "912", "2"), Ct));
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity], results.Select(r => r.StatusCode).Order());
        await AssertProblemAsync(results.Single(r => r.StatusCode == HttpStatusCode.UnprocessableEntity), 422, "overlap");
        Assert.Equal(1, await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE block = '912'"));
        foreach (var r in results) r.Dispose();
    }

    [Fact]
    public async Task EightOverlappingParcelsRegisteredTogetherExactlyOneWinsWhileFarApartOnesAllPass()
    {
        service.Require();
        // Eight 15 m squares, each 1.5 m east of the one before (the last starts 10.5 m east of the first, so every pair
        // overlaps by at least 4.5 m × 15 m), and their boxes cover different
        // sets of lock cells when a cell edge falls between them. Registrations lock cells, not the city (0060).
        var spot = service.FreeSpot();
        var clients = Enumerable.Range(0, 8).Select(_ => service.Client(Officer)).ToList();
        var overlapping = await Task.WhenAll(clients.Select((c, i) =>
            c.PostAsync("/api/properties?snap=0", Feature(Square(spot, 15, 1.5 * i, 0), "1", "981", (i + 1).ToString(CultureInfo.InvariantCulture)), Ct)));
        Assert.Single(overlapping, r => r.StatusCode == HttpStatusCode.Created);
        foreach (var r in overlapping.Where(r => r.StatusCode != HttpStatusCode.Created))
            await AssertProblemAsync(r, 422, "overlap");
        Assert.Equal(1, await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE block = '981'"));

        // Far apart (each on its own free spot), all eight pass at the same moment.
        var spots = Enumerable.Range(0, 8).Select(_ => service.FreeSpot()).ToList();
        var apart = await Task.WhenAll(clients.Select((c, i) =>
            c.PostAsync("/api/properties", Feature(Square(spots[i], 10), "1", "914", (i + 1).ToString(CultureInfo.InvariantCulture)), Ct)));
        Assert.All(apart, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(8, await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE block = '914'"));
        // No two active parcels of the city overlap beyond the tolerance.
        Assert.Equal(0, await service.Db.ScalarAsync<long>("""
            SELECT count(*) FROM properties a JOIN properties b ON a.city_id = b.city_id AND a.id < b.id AND ST_Intersects(a.geom, b.geom)
            WHERE a.block IN ('981', '914') AND b.block IN ('981', '914') AND ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 0.5
            """));

        // One code sent twice at once, for two places far apart: one is created, the other refused with a 4xx.
        var (p, q) = (service.FreeSpot(), service.FreeSpot());
        var same = await Task.WhenAll(
            clients[0].PostAsync("/api/properties", Feature(Square(p, 10), "1", "915", "1"), Ct),
            clients[1].PostAsync("/api/properties", Feature(Square(q, 10), "1", "915", "1"), Ct));
        Assert.Single(same, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Single(same, r => (int)r.StatusCode is >= 400 and < 500);
        foreach (var r in overlapping.Concat(apart).Concat(same)) r.Dispose();
        foreach (var c in clients) c.Dispose();
    }

    [Fact]
    public async Task AParcelMayCrossItsDistrictBoundaryBySurveyNoiseButNotBy5Metres()
    {
        service.Require();
        // A disc of 10 m radius on the vertex of district 1's boundary farthest from any parcel, clipped to the
        // district grown by 0.5 m or by 5 m.
        async Task<string> Clipped(double grownBy) => await service.Db.ScalarAsync<string>("""
            WITH d AS (SELECT d.geom FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'mazar-e-sharif' AND d.code = '1'),
            far AS (
                SELECT v.pt FROM d, LATERAL (SELECT (ST_DumpPoints(ST_ExteriorRing(ST_GeometryN(d.geom, 1)))).geom AS pt) v
                ORDER BY (SELECT p.geom <-> v.pt FROM properties p ORDER BY p.geom <-> v.pt LIMIT 1) DESC
                LIMIT 1)
            SELECT ST_AsGeoJSON(ST_Intersection(ST_Buffer(d.geom::geography, $1)::geometry, ST_Buffer(far.pt::geography, 10)::geometry))
            FROM d, far
            """, grownBy);
        using var officer = service.Client(Officer);
        var before = await service.CountsAsync();
        using var far = await officer.PostAsync("/api/properties", Feature(await Clipped(5), "1", "913", "1"), Ct);
        await AssertProblemAsync(far, 422, "outside-district");
        Assert.Equal(before, await service.CountsAsync());
        using var near = await officer.PostAsync("/api/properties", Feature(await Clipped(0.5), "1", "913", "2"), Ct);
        Assert.Equal(HttpStatusCode.Created, near.StatusCode);
    }

    [Fact]
    public async Task AParcelSentInUtmZone42IsStoredInWgs84WithItsGeodesicArea()
    {
        service.Require();
        var spot = service.FreeSpot();
        var utm = await service.Db.ScalarAsync<string>(
            "SELECT ST_X(p) || ' ' || ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 32642) AS p) x", spot.X, spot.Y);
        var en = utm.Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var square = Polygon((en[0], en[1]), (en[0] + 15, en[1]), (en[0] + 15, en[1] + 15), (en[0], en[1] + 15), (en[0], en[1]));
        using var officer = service.Client(Officer);
        using var created = await officer.PostAsync("/api/properties?crs=EPSG:32642", Feature(square, "1", "911", "1"), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var feature = await JsonAsync(created);
        Assert.Equal(225, feature.GetProperty("properties").GetProperty("areaM2").GetDouble(), 1.0);
        var corner = feature.GetProperty("geometry").GetProperty("coordinates")[0][0][0];
        Assert.Equal(spot.X, corner[0].GetDouble(), 1e-6);
        Assert.Equal(spot.Y, corner[1].GetDouble(), 1e-6);
    }

    [Fact]
    public async Task ALandOfficerOfMazarDistrict1CannotWriteInDistrict2()
    {
        service.Require();
        var before = await service.CountsAsync();
        using var officer = service.Client(Officer);
        using var response = await officer.PostAsync("/api/properties", Feature(Square(service.FreeSpot()), "2", "902", "1"), Ct);
        var problem = await AssertProblemAsync(response, 403, "forbidden-district");
        Assert.Contains("mazar-e-sharif:2", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await service.CountsAsync());

        // Nor edit, retire or verify a district-2 parcel that an admin registered.
        using var admin = service.Client(TestTokens.For("admin"));
        using var created = await admin.PostAsync("/api/properties", Feature(Square(service.SpotInDistrict2), "2", "902", "2"), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();
        var afterAdmin = await service.CountsAsync();
        using var edit = await PutAsync(officer, location, Feature(Square(service.SpotInDistrict2, 16), "2", "902", "2", reason: "not mine"), "\"v1\"");
        await AssertProblemAsync(edit, 403, "forbidden-district");
        using var retire = new HttpRequestMessage(HttpMethod.Delete, location);
        retire.Headers.TryAddWithoutValidation("If-Match", "\"v1\"");
        await AssertProblemAsync(await officer.SendAsync(retire, Ct), 403, "forbidden-district");
        using var supervisor = service.Client(TestTokens.For("supervisor", "mazar-e-sharif:1"));
        await AssertProblemAsync(await supervisor.PostAsync(location + "/verify", null, Ct), 403, "forbidden-district");
        Assert.Equal(afterAdmin, await service.CountsAsync());
    }

    [Fact]
    public async Task ARegisteredParcelIsReadBackWithItsETagAndAnonymousReadsCarryNoPartyNames()
    {
        service.Require();
        using var officer = service.Client(Officer);
        var rights = new[]
        {
            new { kind = "occupancy-certificate", share = 0.5, party = new { kind = "person", name = "محمد کریمی", idDocument = "TZ-1234567" } },
            new { kind = "occupancy-certificate", share = 0.5, party = new { kind = "person", name = "Fatima Rahimi", idDocument = "TZ-7654321" } },
        };
        using var created = await officer.PostAsync("/api/properties?crs=EPSG:4326", Feature(Square(service.FreeSpot()), "1", "903", "1", rights: rights), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("\"v1\"", created.Headers.ETag?.Tag);
        var location = created.Headers.Location!.ToString();
        Assert.Matches("^/api/properties/[0-9]+$", location);
        var feature = await JsonAsync(created);
        Assert.Equal("MZR-1-903-1", feature.GetProperty("properties").GetProperty("code").GetString());
        Assert.Equal("surveyed", feature.GetProperty("properties").GetProperty("status").GetString());
        Assert.Equal(225, feature.GetProperty("properties").GetProperty("areaM2").GetDouble(), 1.0);

        using var staffRead = await officer.GetAsync(location, Ct);
        Assert.Equal("\"v1\"", staffRead.Headers.ETag?.Tag);
        var staffBody = await staffRead.Content.ReadAsStringAsync(Ct);
        Assert.Contains("محمد کریمی", JsonDocument.Parse(staffBody).RootElement.GetProperty("properties").GetProperty("rights")[0].GetProperty("party").GetProperty("name").GetString());

        using var conditional = new HttpRequestMessage(HttpMethod.Get, location);
        conditional.Headers.TryAddWithoutValidation("If-None-Match", "\"v1\"");
        using var notModified = await officer.SendAsync(conditional, Ct);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        using var anonymous = service.Client();
        using var publicRead = await anonymous.GetAsync(location, Ct);
        Assert.Equal(HttpStatusCode.OK, publicRead.StatusCode);
        Assert.Equal("application/geo+json", publicRead.Content.Headers.ContentType?.MediaType);
        var publicBody = await publicRead.Content.ReadAsStringAsync(Ct);
        Assert.Contains("MZR-1-903-1", publicBody);
        foreach (var secret in new[] { "محمد", "Fatima", "TZ-1234567", "TZ-7654321" })
            Assert.DoesNotContain(secret, publicBody);
        var history = await anonymous.GetStringAsync(location + "/history", Ct);
        Assert.DoesNotContain("Fatima", history);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(history).RootElement.GetProperty("versions")[0].GetProperty("changedBy").ValueKind);

        using var missing = await anonymous.GetAsync("/api/properties/999999999", Ct);
        await AssertProblemAsync(missing, 404, "property-not-found");
    }

    [Fact]
    public async Task ARetriedPostWithTheSameIdempotencyKeyCreatesOneParcel()
    {
        service.Require();
        using var officer = service.Client(Officer);
        var geometry = Square(service.FreeSpot());
        var key = Guid.NewGuid().ToString();
        async Task<HttpResponseMessage> Post(string block)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/properties") { Content = Feature(geometry, "1", block, "1") };
            request.Headers.Add("Idempotency-Key", key);
            return await officer.SendAsync(request, Ct);
        }
        using var first = await Post("904");
        using var second = await Post("904");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await second.Content.ReadAsStringAsync(Ct));
        Assert.Equal(1, await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE code = 'MZR-1-904-1'"));

        // Two retries racing each other still give one parcel.
        key = Guid.NewGuid().ToString();
        geometry = Square(service.FreeSpot());
        var racing = await Task.WhenAll(Post("904a"), Post("904a"));
        Assert.All(racing, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(racing[0].Headers.Location, racing[1].Headers.Location);
        Assert.Equal(1, await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE code = 'MZR-1-904a-1'"));
        foreach (var r in racing) r.Dispose();

        var before = await service.CountsAsync();
        using var reused = await Post("905");
        await AssertProblemAsync(reused, 422, "idempotency-key-reused");
        Assert.Equal(before, await service.CountsAsync());
    }

    [Fact]
    public async Task TwoOfficersUpdatingOneParcelOneGets412AndNoUpdateIsLost()
    {
        service.Require();
        var spot = service.FreeSpot();
        using var a = service.Client(Officer);
        using var b = service.Client(TestTokens.For("land-officer", "mazar-e-sharif:1"));
        using var created = await a.PostAsync("/api/properties", Feature(Square(spot), "1", "906", "1"), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();

        // Both edit version 1 at the same moment: exactly one wins.
        var edits = await Task.WhenAll(
            PutAsync(a, location, Feature(Square(spot, 16), "1", "906", "1", reason: "officer A resurveyed"), "\"v1\""),
            PutAsync(b, location, Feature(Square(spot, 17), "1", "906", "1", reason: "officer B resurveyed"), "\"v1\""));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.PreconditionFailed], edits.Select(e => e.StatusCode).Order());
        var loser = edits.Single(e => e.StatusCode == HttpStatusCode.PreconditionFailed);
        var problem = await AssertProblemAsync(loser, 412, "precondition-failed");
        Assert.Equal("\"v2\"", problem.GetProperty("currentETag").GetString());
        var winner = edits.Single(e => e.StatusCode == HttpStatusCode.OK);
        Assert.Equal("\"v2\"", winner.Headers.ETag?.Tag);

        // The loser rereads and reapplies on version 2: both edits are in the history.
        var loserClient = ReferenceEquals(loser, edits[0]) ? a : b;
        using var reapplied = await PutAsync(loserClient, location, Feature(Square(spot, 18), "1", "906", "1", reason: "reapplied after 412"), "\"v2\"");
        Assert.Equal(HttpStatusCode.OK, reapplied.StatusCode);
        Assert.Equal("\"v3\"", reapplied.Headers.ETag?.Tag);
        using var history = JsonDocument.Parse(await a.GetStringAsync(location + "/history", Ct));
        var reasons = history.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("reason").GetString()).ToList();
        Assert.Equal(3, reasons.Count);
        Assert.Contains("resurveyed", reasons[1]);
        Assert.Equal("reapplied after 412", reasons[2]);
        foreach (var e in edits) e.Dispose();
    }

    [Fact]
    public async Task AnUpdateWithoutIfMatchIs428AndChangesNothing()
    {
        service.Require();
        var spot = service.FreeSpot();
        using var officer = service.Client(Officer);
        using var created = await officer.PostAsync("/api/properties", Feature(Square(spot), "1", "907", "1"), Ct);
        var location = created.Headers.Location!.ToString();
        var before = await service.CountsAsync();
        using var missing = await PutAsync(officer, location, Feature(Square(spot, 16), "1", "907", "1", reason: "no etag"), null);
        await AssertProblemAsync(missing, 428, "precondition-required");
        using var stale = await PutAsync(officer, location, Feature(Square(spot, 16), "1", "907", "1", reason: "stale"), "\"v7\"");
        await AssertProblemAsync(stale, 412, "precondition-failed");
        using var grown = await PutAsync(officer, location, Feature(Square(spot, 16), "1", "907", "1", reason: "grown by a metre"), "\"v1\"");
        Assert.Equal(HttpStatusCode.OK, grown.StatusCode); // itself is excluded from the overlap check
        Assert.NotEqual(before, await service.CountsAsync());

        // An edit drawn over a registered parcel is refused like a registration, and changes nothing.
        var inside = await service.Db.ScalarAsync<string>(
            "SELECT ST_X(p) || ' ' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM properties WHERE code = 'MZR-1-15-22') x");
        var xy = inside.Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var afterEdit = await service.CountsAsync();
        using var overlapping = await PutAsync(officer, location, Feature(Square((xy[0], xy[1]), 12, -6, -6), "1", "907", "1", reason: "moved onto a neighbour"), "\"v2\"");
        var problem = await AssertProblemAsync(overlapping, 422, "overlap");
        Assert.Contains(problem.GetProperty("conflicts").EnumerateArray(), c => c.GetProperty("code").GetString() == "MZR-1-15-22");
        Assert.Equal(afterEdit, await service.CountsAsync());
    }

    [Fact]
    public async Task HistoryAndAtGiveTheEarlierGeometryAfterAnEdit()
    {
        service.Require();
        var spot = service.FreeSpot();
        using var officer = service.Client(Officer);
        using var created = await officer.PostAsync("/api/properties", Feature(Square(spot, 15), "1", "908", "1"), Ct);
        var location = created.Headers.Location!.ToString();
        using var edited = await PutAsync(officer, location, Feature(Square(spot, 20), "1", "908", "1", reason: "boundary corrected"), "\"v1\"");
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);

        using var history = JsonDocument.Parse(await officer.GetStringAsync(location + "/history", Ct));
        var versions = history.RootElement.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal([1, 2], versions.Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal(225, versions[0].GetProperty("areaM2").GetDouble(), 1.0);
        Assert.Equal(400, versions[1].GetProperty("areaM2").GetDouble(), 1.5);
        Assert.Equal(versions[0].GetProperty("validTo").GetString(), versions[1].GetProperty("validFrom").GetString());
        Assert.Equal(JsonValueKind.Null, versions[1].GetProperty("validTo").ValueKind);
        Assert.Equal("boundary corrected", versions[1].GetProperty("reason").GetString());

        var then = Uri.EscapeDataString(versions[0].GetProperty("validFrom").GetString()!);
        using var earlier = JsonDocument.Parse(await officer.GetStringAsync($"{location}?at={then}", Ct));
        Assert.Equal(1, earlier.RootElement.GetProperty("properties").GetProperty("version").GetInt32());
        Assert.Equal(225, earlier.RootElement.GetProperty("properties").GetProperty("areaM2").GetDouble(), 1.0);
        Assert.Equal(versions[0].GetProperty("geometry").GetRawText(), earlier.RootElement.GetProperty("geometry").GetRawText());
        // The same instant with its '+' offset left unescaped (a space once decoded).
        using var unescaped = JsonDocument.Parse(await officer.GetStringAsync($"{location}?at={versions[0].GetProperty("validFrom").GetString()}", Ct));
        Assert.Equal(1, unescaped.RootElement.GetProperty("properties").GetProperty("version").GetInt32());
        using var now = JsonDocument.Parse(await officer.GetStringAsync(location, Ct));
        Assert.Equal(2, now.RootElement.GetProperty("properties").GetProperty("version").GetInt32());

        // A bare date is the end of that day: yesterday the parcel did not exist; today's end it is version 2.
        var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        using var before = await officer.GetAsync($"{location}?at={yesterday}", Ct);
        await AssertProblemAsync(before, 404, "property-not-found");
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        using var endOfToday = JsonDocument.Parse(await officer.GetStringAsync($"{location}?at={today}", Ct));
        Assert.Equal(2, endOfToday.RootElement.GetProperty("properties").GetProperty("version").GetInt32());
        using var bad = await officer.GetAsync($"{location}?at=last-tuesday", Ct);
        await AssertProblemAsync(bad, 400, "invalid-parameter");
    }

    [Fact]
    public async Task RetiringIsANewVersionAndFreesTheGroundForANewParcel()
    {
        service.Require();
        var spot = service.FreeSpot();
        using var officer = service.Client(Officer);
        using var created = await officer.PostAsync("/api/properties", Feature(Square(spot), "1", "909", "1"), Ct);
        var location = created.Headers.Location!.ToString();
        using var noEtag = await officer.DeleteAsync(location, Ct);
        await AssertProblemAsync(noEtag, 428, "precondition-required");
        using var request = new HttpRequestMessage(HttpMethod.Delete, location + "?reason=demolished");
        request.Headers.TryAddWithoutValidation("If-Match", "\"v1\"");
        using var retired = await officer.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, retired.StatusCode);
        using var now = JsonDocument.Parse(await officer.GetStringAsync(location, Ct));
        Assert.Equal("retired", now.RootElement.GetProperty("properties").GetProperty("status").GetString());
        Assert.Equal(1, await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties WHERE code = 'MZR-1-909-1'"));
        using var replacement = await officer.PostAsync("/api/properties", Feature(Square(spot), "1", "909", "2"), Ct);
        Assert.Equal(HttpStatusCode.Created, replacement.StatusCode);
    }

    [Fact]
    public async Task VerifyingAndRegisteringNeedASupervisorOtherThanTheSurveyor()
    {
        service.Require();
        // One person who is both land officer and supervisor surveys the parcel.
        var both = UrbanMonitor.Database.Auth.Tokens.Issue(
            new UrbanMonitor.Database.Auth.User(Guid.NewGuid(), "two.hats", "Two Hats", ["land-officer", "supervisor"], ["mazar-e-sharif:1"]),
            UrbanMonitor.Database.Auth.TokenSettings.FromBase64(TestTokens.Key), TimeSpan.FromHours(1));
        using var surveyor = service.Client(both);
        using var created = await surveyor.PostAsync("/api/properties", Feature(Square(service.FreeSpot()), "1", "910", "1"), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();

        using var own = await surveyor.PostAsync(location + "/verify", null, Ct);
        await AssertProblemAsync(own, 403, "four-eyes");
        using var officer = service.Client(Officer);
        using var notSupervisor = await officer.PostAsync(location + "/verify", null, Ct);
        await AssertProblemAsync(notSupervisor, 403, "forbidden-role");
        using var elsewhere = service.Client(TestTokens.For("supervisor", "mazar-e-sharif:2"));
        using var otherDistrict = await elsewhere.PostAsync(location + "/verify", null, Ct);
        await AssertProblemAsync(otherDistrict, 403, "forbidden-district");

        using var supervisor = service.Client(TestTokens.For("supervisor", "mazar-e-sharif:1"));
        using var tooEarly = await supervisor.PostAsync(location + "/register", null, Ct);
        await AssertProblemAsync(tooEarly, 409, "status-conflict");
        using var verified = await supervisor.PostAsync(location + "/verify", null, Ct);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.Equal("verified", (await JsonAsync(verified)).GetProperty("properties").GetProperty("status").GetString());
        using var registered = await supervisor.PostAsync(location + "/register", null, Ct);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        Assert.Equal("\"v3\"", registered.Headers.ETag?.Tag);
        using var history = JsonDocument.Parse(await supervisor.GetStringAsync(location + "/history", Ct));
        Assert.Equal(["surveyed", "verified", "registered"],
            history.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("status").GetString()));
    }
}
