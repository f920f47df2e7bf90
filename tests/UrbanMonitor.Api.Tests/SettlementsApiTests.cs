using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;

namespace UrbanMonitor.Api.Tests;

public class SettlementsApiTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> GetAsync(string url)
    {
        using var client = service.Api.CreateClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync(url, Ct));
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task ASettlementsMetricsAreInMetresAndMatchPostgisOnTheSpheroid()
    {
        var id = await service.Db.ScalarAsync<long>("SELECT min(id) FROM settlements");
        var a = await GetAsync($"/api/settlements/{id}");
        var m = a.GetProperty("metrics");
        var area = await service.Db.ScalarAsync<double>("SELECT ST_Area(geom::geography) FROM settlements WHERE id = $1", id);
        var perimeter = await service.Db.ScalarAsync<double>("SELECT ST_Perimeter(geom::geography) FROM settlements WHERE id = $1", id);
        Assert.Equal(area, m.GetProperty("areaM2").GetDouble(), 0.1);
        Assert.Equal(perimeter, m.GetProperty("perimeterM").GetDouble(), 0.1);
        Assert.Equal(4 * Math.PI * area / (perimeter * perimeter), m.GetProperty("compactness").GetDouble(), 3);
        var population = a.GetProperty("population").GetInt64();
        Assert.Equal(population / (area / 1e6), m.GetProperty("populationPerKm2").GetDouble(), 0);
        // The generator's parcels under the settlement are counted by status.
        var inside = await service.Db.ScalarAsync<long>(
            "SELECT count(*) FROM properties p, settlements s WHERE s.id = $1 AND ST_Intersects(ST_PointOnSurface(p.geom), s.geom)", id);
        Assert.True(inside > 0);
        Assert.Equal(inside, a.GetProperty("properties").GetProperty("total").GetInt64());
        Assert.Equal(inside, a.GetProperty("properties").GetProperty("byStatus").GetProperty("surveyed").GetInt64());
        var shares = a.GetProperty("districts").EnumerateArray().Sum(d => d.GetProperty("shareOfSettlement").GetDouble());
        Assert.Equal(1.0, shares, 2);
    }

    [Fact]
    public async Task ExposureAndAccessComeFromTheHazardAndStopLayersInStraightLineMetres()
    {
        var id = await service.Db.ScalarAsync<long>("SELECT min(id) FROM settlements");
        // Half the settlement (west of its centroid) is made a landslide zone, so its exposed share is known.
        await service.Db.ScalarAsync<long>("""
            WITH i AS (
              INSERT INTO hazard_zones (city_id, hazard, level, geom)
              SELECT city_id, 'landslide', 'high',
                     ST_Multi(ST_Intersection(geom, ST_MakeEnvelope(ST_XMin(geom) - 1, ST_YMin(geom) - 1, ST_X(ST_Centroid(geom)), ST_YMax(geom) + 1, 4326)))
              FROM settlements WHERE id = $1 RETURNING 1)
            SELECT count(*) FROM i
            """, id);
        var a = await GetAsync($"/api/settlements/{id}");
        var landslide = Assert.Single(a.GetProperty("exposure").EnumerateArray(), e => e.GetProperty("hazard").GetString() == "landslide");
        var expected = await service.Db.ScalarAsync<double>("""
            SELECT ST_Area(ST_Intersection(h.geom, s.geom)::geography) / ST_Area(s.geom::geography)
            FROM settlements s, hazard_zones h WHERE s.id = $1 AND h.hazard = 'landslide'
            """, id);
        Assert.Equal(expected, landslide.GetProperty("shareOfArea").GetDouble(), 3);
        Assert.InRange(expected, 0.3, 0.7);

        var transit = a.GetProperty("access").GetProperty("transit");
        var nearest = await service.Db.ScalarAsync<double>(
            "SELECT min(ST_Distance(t.geom::geography, s.geom::geography)) FROM transit_stops t, settlements s WHERE s.id = $1", id);
        Assert.Equal(nearest, transit.GetProperty("nearestStopM").GetDouble(), 0.1);
        Assert.InRange(transit.GetProperty("shareWithin500m").GetDouble(), 0, 1);
        Assert.True(transit.GetProperty("shareWithin1km").GetDouble() >= transit.GetProperty("shareWithin500m").GetDouble());
        Assert.Contains("straight-line", a.GetProperty("access").GetProperty("method").GetString());
        Assert.True(a.GetProperty("access").GetProperty("facilities").TryGetProperty("school", out _));
    }

    // The share of a settlement within 500 m / 1 km of a stop or facility, straight from the layers: the union of the
    // buffers intersected with the settlement, in the settlement's UTM zone (the synthetic city lies in one zone).
    private Task<double> ExpectedShareAsync(long id, string layer, double metres, string? kind = null) =>
        service.Db.ScalarAsync<double>($"""
            SELECT coalesce(ST_Area(ST_Intersection(ST_Transform(s.geom, z), ST_Union(ST_Buffer(ST_Transform(t.geom, z), $2, 'quad_segs=8'))))
                   / ST_Area(ST_Transform(s.geom, z)), 0)
            FROM settlements s CROSS JOIN LATERAL (SELECT um_utm_srid(s.geom) AS z) u
            LEFT JOIN {layer} t ON t.city_id = s.city_id AND ($3::text IS NULL OR {(layer == "facilities" ? "t.kind" : "NULL")} = $3)
            WHERE s.id = $1 GROUP BY s.geom, z
            """, id, metres, (object?)kind ?? DBNull.Value);

    [Fact]
    public async Task CoverageSharesWithin500mAnd1kmMatchTheLayersAndFollowTheirChanges()
    {
        var id = await service.Db.ScalarAsync<long>("SELECT id FROM settlements ORDER BY id OFFSET 1 LIMIT 1");
        async Task<JsonElement> AssertSharesAsync(string kind)
        {
            var a = await GetAsync($"/api/settlements/{id}");
            var transit = a.GetProperty("access").GetProperty("transit");
            Assert.Equal(await ExpectedShareAsync(id, "transit_stops", 500), transit.GetProperty("shareWithin500m").GetDouble(), 3);
            Assert.Equal(await ExpectedShareAsync(id, "transit_stops", 1000), transit.GetProperty("shareWithin1km").GetDouble(), 3);
            var facility = a.GetProperty("access").GetProperty("facilityCoverage").GetProperty(kind);
            Assert.Equal(await ExpectedShareAsync(id, "facilities", 500, kind), facility.GetProperty("shareWithin500m").GetDouble(), 3);
            Assert.Equal(await ExpectedShareAsync(id, "facilities", 1000, kind), facility.GetProperty("shareWithin1km").GetDouble(), 3);
            // The city-wide analysis reads the same coverage for every settlement at once.
            var all = await GetAsync("/api/cities/synthetic/settlements/analysis");
            var mine = Assert.Single(all.EnumerateArray(), e => e.GetProperty("id").GetInt64() == id).GetProperty("accessCoverage");
            Assert.Equal(transit.GetProperty("shareWithin500m").GetDouble(), mine.GetProperty("transit").GetProperty("within500m").GetDouble(), 4);
            Assert.Equal(transit.GetProperty("shareWithin1km").GetDouble(), mine.GetProperty("transit").GetProperty("within1km").GetDouble(), 4);
            Assert.Equal(facility.GetProperty("shareWithin500m").GetDouble(), mine.GetProperty("facilities").GetProperty(kind).GetProperty("within500m").GetDouble(), 4);
            Assert.Equal(facility.GetProperty("shareWithin1km").GetDouble(), mine.GetProperty("facilities").GetProperty(kind).GetProperty("within1km").GetDouble(), 4);
            return facility;
        }
        await AssertSharesAsync("school");

        // A water point east of the settlement, 1 km from its middle and over 500 m from its eastern edge (a kind the city did not have): part of the
        // settlement is within 1 km of it and none within 500 m. The facilities' triggers rebuild the coverage.
        await service.Db.ScalarAsync<long>("""
            WITH f AS (INSERT INTO facilities (city_id, kind, name, geom)
                       SELECT city_id, 'water-point', 'coverage test east',
                              ST_Transform(ST_SetSRID(ST_MakePoint(ST_XMax(u) + greatest(600, 1000 - (ST_XMax(u) - ST_XMin(u)) / 2), (ST_YMin(u) + ST_YMax(u)) / 2), um_utm_srid(geom)), 4326)
                       FROM settlements CROSS JOIN LATERAL (SELECT ST_Transform(geom, um_utm_srid(geom)) AS u) x WHERE id = $1 RETURNING 1)
            SELECT count(*) FROM f
            """, id);
        var east = await AssertSharesAsync("water-point");
        Assert.Equal(0, east.GetProperty("shareWithin500m").GetDouble());
        Assert.InRange(east.GetProperty("shareWithin1km").GetDouble(), 0.001, 0.999);

        // A second one inside the settlement: now part of it is within 500 m.
        await service.Db.ScalarAsync<long>("""
            WITH f AS (INSERT INTO facilities (city_id, kind, name, geom)
                       SELECT city_id, 'water-point', 'coverage test inside', ST_PointOnSurface(geom) FROM settlements WHERE id = $1 RETURNING 1)
            SELECT count(*) FROM f
            """, id);
        var inside = await AssertSharesAsync("water-point");
        Assert.True(inside.GetProperty("shareWithin500m").GetDouble() > 0);
        Assert.True(inside.GetProperty("shareWithin1km").GetDouble() > east.GetProperty("shareWithin1km").GetDouble());

        // Moving the inner one onto the eastern one (an update of the geometry) brings the shares back to the eastern one's.
        await service.Db.ScalarAsync<long>("""
            WITH u AS (UPDATE facilities SET geom = (SELECT geom FROM facilities WHERE name = 'coverage test east')
                       WHERE name = 'coverage test inside' RETURNING 1)
            SELECT count(*) FROM u
            """);
        var moved = await AssertSharesAsync("water-point");
        Assert.Equal(0, moved.GetProperty("shareWithin500m").GetDouble());
        Assert.Equal(east.GetProperty("shareWithin1km").GetDouble(), moved.GetProperty("shareWithin1km").GetDouble(), 4);

        // Removing them removes the kind's coverage: the city has no water point, which is not the same as being far from one.
        await service.Db.ScalarAsync<long>("WITH f AS (DELETE FROM facilities WHERE kind = 'water-point' RETURNING 1) SELECT count(*) FROM f");
        var gone = await GetAsync($"/api/settlements/{id}");
        Assert.False(gone.GetProperty("access").GetProperty("facilityCoverage").TryGetProperty("water-point", out _));
        Assert.Equal(0L, await service.Db.ScalarAsync<long>("SELECT count(*) FROM access_coverage WHERE source = 'facility:water-point'"));
        await AssertSharesAsync("school");
    }

    [Fact]
    public async Task CertificatesAndServiceChargeCollectionCountThePropertiesInsideTheSettlement()
    {
        var id = await service.Db.ScalarAsync<long>("SELECT id FROM settlements ORDER BY id DESC OFFSET 1 LIMIT 1");
        // Three properties inside the settlement and one outside: assessed 100, 200 and 300 (and 1000 outside), paid
        // 100 in full and 50 of the 200 (and 1000 outside); one certificate inside and one outside.
        await service.Db.ScalarAsync<long>("""
            WITH s AS (SELECT id, city_id, geom FROM settlements WHERE id = $1),
                 inside AS (SELECT p.id, p.version, p.city_id, row_number() OVER (ORDER BY p.id) AS n
                            FROM properties p, s WHERE p.city_id = s.city_id AND p.status <> 'retired'
                              AND ST_Intersects(ST_PointOnSurface(p.geom), s.geom) ORDER BY p.id LIMIT 3),
                 outside AS (SELECT p.id, p.version, p.city_id, 4 AS n FROM properties p, s
                             WHERE p.city_id = s.city_id AND p.status <> 'retired'
                               AND NOT EXISTS (SELECT 1 FROM settlements o WHERE ST_Intersects(ST_PointOnSurface(p.geom), o.geom))
                             ORDER BY p.id LIMIT 1),
                 chosen AS (SELECT * FROM inside UNION ALL SELECT * FROM outside),
                 rule AS (INSERT INTO charge_rules (city_id, fiscal_year, starts, ends, default_land_use, set_by)
                          SELECT city_id, 1404, '2025-03-21', '2026-03-21', 'residential', 'test' FROM s RETURNING 1),
                 assessed AS (INSERT INTO charge_assessments (city_id, property_id, fiscal_year, invoice_number, district_code, land_use,
                                  zone, area_m2, rate_per_m2, exempt, amount, rule_set_at, assessed_by)
                              SELECT c.city_id, c.id, 1404, 'INV-T' || c.n, 'D', 'residential', '', 100, 1, false,
                                     CASE c.n WHEN 4 THEN 1000 ELSE 100 * c.n END, now(), 'test'
                              FROM chosen c WHERE (SELECT count(*) FROM rule) = 1 RETURNING 1),
                 paid AS (INSERT INTO charge_payments (city_id, property_id, receipt_number, fiscal_year, paid_on, amount, method, received_by)
                          SELECT c.city_id, c.id, 'RCT-T' || c.n, 1404, '2025-06-01', CASE c.n WHEN 1 THEN 100 WHEN 2 THEN 50 ELSE 1000 END, 'cash', 'test'
                          FROM chosen c WHERE c.n IN (1, 2, 4) AND (SELECT count(*) FROM assessed) = 4 RETURNING 1),
                 certified AS (INSERT INTO certificates (city_id, number, property_id, property_version, issued_by, verification_key, content_hash)
                               SELECT c.city_id, 'SYN-OC-00000' || c.n, c.id, c.version, 'test', repeat('k', 24), 'hash'
                               FROM chosen c WHERE c.n IN (1, 4) RETURNING 1)
            SELECT (SELECT count(*) FROM paid) + (SELECT count(*) FROM certified)
            """, id);

        var registry = (await GetAsync($"/api/settlements/{id}")).GetProperty("properties").GetProperty("registry");
        Assert.Equal(1, registry.GetProperty("certificatesIssued").GetInt32());
        Assert.Equal(1, registry.GetProperty("propertiesWithCurrentCertificate").GetInt32());
        var charges = registry.GetProperty("serviceCharges");
        Assert.Equal(1404, charges.GetProperty("fiscalYear").GetInt32());
        Assert.Equal(3, charges.GetProperty("assessed").GetInt32());
        Assert.Equal(600m, charges.GetProperty("assessedAmount").GetDecimal());
        Assert.Equal(2, charges.GetProperty("paying").GetInt32());
        Assert.Equal(150m, charges.GetProperty("collected").GetDecimal());
        Assert.Equal(0.25, charges.GetProperty("collectionRate").GetDouble(), 4);

        var all = await GetAsync("/api/cities/synthetic/settlements/analysis");
        var mine = Assert.Single(all.EnumerateArray(), e => e.GetProperty("id").GetInt64() == id).GetProperty("registry");
        Assert.Equal(150m, mine.GetProperty("serviceCharges").GetProperty("collected").GetDecimal());

        // A settlement with no property assessed in that year reports zeros for it, not an error.
        var other = await service.Db.ScalarAsync<long>("SELECT min(id) FROM settlements");
        var none = (await GetAsync($"/api/settlements/{other}")).GetProperty("properties").GetProperty("registry");
        Assert.Equal(0, none.GetProperty("serviceCharges").GetProperty("assessed").GetInt32());
        Assert.Equal(JsonValueKind.Null, none.GetProperty("serviceCharges").GetProperty("collectionRate").ValueKind);
    }

    [Fact]
    public async Task ASettlementWithoutPopulationSaysSoInsteadOfDividingByZero()
    {
        var id = await service.Db.ScalarAsync<long>("SELECT max(id) FROM settlements");
        await service.Db.ScalarAsync<long>("WITH u AS (UPDATE settlements SET population = NULL, households = NULL WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", id);
        var m = (await GetAsync($"/api/settlements/{id}")).GetProperty("metrics");
        Assert.Equal(JsonValueKind.Null, m.GetProperty("populationPerKm2").ValueKind);
        Assert.Equal(JsonValueKind.Null, m.GetProperty("householdsPerHa").ValueKind);
        Assert.Contains("No population", m.GetProperty("note").GetString());
    }

    [Fact]
    public async Task UnknownSettlementsAndCitiesAre404Problems()
    {
        using var client = service.Api.CreateClient();
        using var missing = await client.GetAsync("/api/settlements/987654321", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/cities/atlantis/settlements/summary", Ct)).StatusCode);
    }
}

public class RioSettlementsTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task RiosSummaryGivesThePeopleInFavelasAndTheirShareOfTheCityAsTheTwoLayersDo()
    {
        var dir = Repo.SharedData;
        if (dir is null && PostgisServer.OnCi) Assert.Fail("CI=true and ../shared/data is missing.");
        Assert.SkipWhen(dir is null, "../shared/data is not present beside the project.");
        var ct = TestContext.Current.CancellationToken;
        await new DemoLoader(db.DataSource).LoadRealAsync(dir!, ct);
        await using var api = new ApiFactory(db.ConnectionString);
        using var client = api.CreateClient();

        using var summary = JsonDocument.Parse(await client.GetStringAsync("/api/cities/rio-de-janeiro/settlements/summary", ct));
        var s = summary.RootElement;
        Assert.Equal(1_074, s.GetProperty("settlements").GetInt64());
        Assert.Equal(1_434_829, s.GetProperty("population").GetInt64());
        Assert.Equal(6_282_227, s.GetProperty("cityPopulation").GetInt64());
        Assert.Equal(Math.Round(1_434_829.0 / 6_282_227, 4), s.GetProperty("shareOfCityPopulation").GetDouble());
        var apportioned = s.GetProperty("districts").EnumerateArray()
            .Select(d => d.GetProperty("settlementPopulation")).Where(p => p.ValueKind == JsonValueKind.Number).Sum(p => p.GetDouble());
        Assert.InRange(apportioned, 1_434_829 * 0.999, 1_434_829 * 1.001);

        // Each settlement's area is PostGIS's geodesic area (a sample of 25 through the API).
        var ids = new List<long>();
        await using (var cmd = db.DataSource.CreateCommand("SELECT s.id FROM settlements s JOIN cities c ON c.id = s.city_id WHERE c.slug = 'rio-de-janeiro' ORDER BY md5(s.code) LIMIT 25"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) ids.Add(r.GetInt64(0));
        foreach (var id in ids)
        {
            using var a = JsonDocument.Parse(await client.GetStringAsync($"/api/settlements/{id}", ct));
            var expected = await db.ScalarAsync<double>("SELECT ST_Area(geom::geography) FROM settlements WHERE id = $1", id);
            Assert.InRange(a.RootElement.GetProperty("metrics").GetProperty("areaM2").GetDouble(), expected * 0.999, expected * 1.001);
        }

        var rocinha = await db.ScalarAsync<long>("SELECT id FROM settlements WHERE name = 'Rocinha'");
        using var ro = JsonDocument.Parse(await client.GetStringAsync($"/api/settlements/{rocinha}", ct));
        var main = ro.RootElement.GetProperty("districts")[0];
        Assert.Equal("154", main.GetProperty("code").GetString());
        Assert.True(main.GetProperty("shareOfSettlement").GetDouble() > 0.9);
        Assert.Equal(69_156, ro.RootElement.GetProperty("population").GetInt64());

        // SDG 11.1.1 for Rio is the favela population over the neighbourhoods' population, straight from the two layers.
        using var slum = JsonDocument.Parse(await client.GetStringAsync("/api/indicators/11.1.1?city=rio-de-janeiro", ct));
        Assert.Equal(Math.Round(100.0 * 1_434_829 / 6_282_227, 2), slum.RootElement.GetProperty("value").GetDouble());
        // Rio has no built-up layer: 11.3.1 says why instead of giving a number.
        using var land = JsonDocument.Parse(await client.GetStringAsync("/api/indicators/11.3.1?city=rio-de-janeiro", ct));
        Assert.Equal(JsonValueKind.Null, land.RootElement.GetProperty("value").ValueKind);
        Assert.Contains("built-up", land.RootElement.GetProperty("reason").GetString());
        // 11.2.1 for one neighbourhood (Rocinha) with the real stops, stating its method.
        using var access = JsonDocument.Parse(await client.GetStringAsync("/api/indicators/11.2.1?city=rio-de-janeiro&district=154", ct));
        Assert.InRange(access.RootElement.GetProperty("value").GetDouble(), 50, 100);
        Assert.Contains("Straight-line", access.RootElement.GetProperty("method").GetString());
    }
}
