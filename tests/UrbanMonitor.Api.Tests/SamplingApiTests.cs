using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using UrbanMonitor.Api.Sampling;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Domain.Sampling;

namespace UrbanMonitor.Api.Tests;

public class SamplingApiTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private HttpClient Planner() => service.Api.CreateClient().WithToken(TestTokens.For("planner"));

    private async Task<JsonElement> CreateAsync(object design)
    {
        using var client = Planner();
        using var response = await client.PostAsJsonAsync("/api/sample-areas", design, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.StartsWith("/api/sample-areas/SYN-SA-", response.Headers.Location?.OriginalString);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<JsonElement> GetAsync(string url)
    {
        using var client = service.Api.CreateClient();
        using var response = await client.GetAsync(url, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<List<(int Cell, string Stratum, double Weight)>> SampledAsync(string code) =>
        (await GetAsync($"/api/sample-areas/{code}/cells")).GetProperty("features").EnumerateArray()
            .Select(f => f.GetProperty("properties"))
            .Select(p => (p.GetProperty("cell").GetInt32(), p.GetProperty("stratum").GetString()!, p.GetProperty("weight").GetDouble())).ToList();

    [Fact]
    public async Task TheSameSeedDrawsTheSameCellsAndAnotherSeedADifferentSample()
    {
        object Design(long seed) => new { city = "synthetic", cellSizeHa = 0.25, stratification = "district", allocation = "proportional", sampleSize = 40, seed };
        var a = await SampledAsync((await CreateAsync(Design(7))).GetProperty("code").GetString()!);
        var b = await SampledAsync((await CreateAsync(Design(7))).GetProperty("code").GetString()!);
        var c = await SampledAsync((await CreateAsync(Design(8))).GetProperty("code").GetString()!);
        Assert.Equal(40, a.Count);
        Assert.Equal(a.Select(x => x.Cell), b.Select(x => x.Cell));
        Assert.NotEqual(a.Select(x => x.Cell), c.Select(x => x.Cell));
    }

    [Fact]
    public async Task CellsAreTheAskedAreaInTheUtmZoneAndCoverTheBuiltUpExtent()
    {
        var d = await CreateAsync(new { city = "synthetic", shape = "hexagon", cellSizeHa = 0.5, sampleSize = 10, seed = 1 });
        var code = d.GetProperty("code").GetString()!;
        Assert.Equal(2020, d.GetProperty("epoch").GetInt32());
        Assert.Equal("built-up", d.GetProperty("extent").GetString());
        // Every cell is a 0.5 ha hexagon measured in the design's UTM zone, its centre inside the latest built-up extent.
        var wrong = await service.Db.ScalarAsync<long>("""
            SELECT count(*) FROM sample_cells c JOIN sample_designs d ON d.city_id = c.city_id AND d.id = c.design_id
            WHERE d.code = $1 AND (abs(ST_Area(ST_Transform(c.geom, d.srid)) - 5000) > 0.5 OR ST_NPoints(c.geom) <> 7
                   OR NOT EXISTS (SELECT 1 FROM built_up b WHERE b.city_id = c.city_id AND b.epoch = 2020 AND ST_Intersects(b.geom, ST_Centroid(c.geom))))
            """, code);
        Assert.Equal(0, wrong);
        var frame = await service.Db.ScalarAsync<long>("SELECT count(*) FROM sample_cells c JOIN sample_designs d ON d.id = c.design_id WHERE d.code = $1", code);
        var builtUpM2 = await service.Db.ScalarAsync<double>("SELECT ST_Area(ST_Transform(geom, um_utm_srid(geom))) FROM built_up WHERE epoch = 2020");
        Assert.Equal(frame, d.GetProperty("frameSize").GetInt32());
        Assert.InRange(frame * 5000.0, 0.8 * builtUpM2, 1.2 * builtUpM2);
    }

    [Fact]
    public async Task AllocationSumsToNAndWeightsSumToTheCellsOfEachStratum()
    {
        foreach (var (stratification, allocation) in new[] { ("district", "proportional"), ("settlement", "equal"), ("district", "neyman"), ("density", "proportional") })
        {
            var d = await CreateAsync(new { city = "synthetic", cellSizeHa = 0.25, stratification, allocation, sampleSize = 30, seed = 3 });
            var code = d.GetProperty("code").GetString()!;
            var strata = d.GetProperty("strata").EnumerateArray().ToList();
            Assert.Equal(30, strata.Sum(s => s.GetProperty("sampled").GetInt32()));
            var sampled = await SampledAsync(code);
            Assert.Equal(30, sampled.Count);
            var frame = (await GetAsync($"/api/sample-areas/{code}/cells?all=true")).GetProperty("features").EnumerateArray()
                .GroupBy(f => f.GetProperty("properties").GetProperty("stratum").GetString()!).ToDictionary(g => g.Key, g => g.Count());
            foreach (var s in strata)
            {
                var name = s.GetProperty("stratum").GetString()!;
                Assert.Equal(frame[name], s.GetProperty("cells").GetInt32());
                Assert.Equal(frame[name], sampled.Where(c => c.Stratum == name).Sum(c => c.Weight), 6);
            }
            if (stratification == "settlement")
                Assert.Equal(["inside-settlements", "outside-settlements"], strata.Select(s => s.GetProperty("stratum").GetString()));
            if (allocation == "neyman")
            {
                // n_h ∝ N_h·S_h (S_h of the cells' population), give or take rounding and the floor of 2.
                var measure = strata.Select(s => s.GetProperty("cells").GetInt32() * s.GetProperty("neymanStdDev").GetDouble()).ToList();
                for (var i = 0; i < strata.Count; i++)
                    Assert.InRange(strata[i].GetProperty("sampled").GetInt32(), Math.Min(2, strata[i].GetProperty("cells").GetInt32()),
                        Math.Max(2, Math.Ceiling(30 * measure[i] / measure.Sum()) + 2));
            }
        }
    }

    [Fact]
    public async Task EstimatesStandBesideTheCensusValueComputedStraightFromTheLayers()
    {
        var code = (await CreateAsync(new { city = "synthetic", cellSizeHa = 0.25, stratification = "district", sampleSize = 60, seed = 11 })).GetProperty("code").GetString()!;
        var frameWhere = "FROM sample_cells c JOIN sample_designs d ON d.city_id = c.city_id AND d.id = c.design_id WHERE d.code = $1";
        var properties = await GetAsync($"/api/sample-areas/{code}/estimates?quantity=properties");
        var census = await service.Db.ScalarAsync<long>(
            $"SELECT count(*) FROM properties p WHERE EXISTS (SELECT 1 {frameWhere} AND ST_Intersects(c.geom, ST_PointOnSurface(p.geom)))", code);
        Assert.Equal(census, properties.GetProperty("census").GetProperty("value").GetDouble(), 0);
        var e = properties.GetProperty("estimate");
        Assert.True(e.GetProperty("standardError").GetDouble() > 0);
        var ci = e.GetProperty("ci95").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(e.GetProperty("value").GetDouble() - 1.96 * e.GetProperty("standardError").GetDouble(), ci[0], 0);

        var population = await GetAsync($"/api/sample-areas/{code}/estimates?quantity=population");
        var popCensus = await service.Db.ScalarAsync<double>($"""
            WITH f AS (SELECT ST_Union(c.geom) g {frameWhere})
            SELECT sum(p.population * ST_Area(ST_Intersection(p.geom, f.g)::geography) / ST_Area(p.geom::geography)) FROM population_units p, f
            """, code);
        Assert.Equal(popCensus, population.GetProperty("census").GetProperty("value").GetDouble(), popCensus * 0.005);
        Assert.Equal("persons", population.GetProperty("unit").GetString());

        var share = await GetAsync($"/api/sample-areas/{code}/estimates?quantity=settlement-population-share");
        Assert.InRange(share.GetProperty("census").GetProperty("value").GetDouble(), 0.001, 0.999);
        Assert.Contains("ratio", share.GetProperty("estimate").GetProperty("estimator").GetString());
        var builtUp = await GetAsync($"/api/sample-areas/{code}/estimates?quantity=built-up");
        var frameArea = await service.Db.ScalarAsync<double>($"SELECT sum(ST_Area(ST_Transform(c.geom, d.srid))) {frameWhere}", code);
        Assert.InRange(builtUp.GetProperty("census").GetProperty("value").GetDouble(), 0.8 * frameArea, frameArea + 1);
    }

    [Fact]
    public async Task OverTwoHundredSeedsTheNinetyFivePercentIntervalsContainTheCensusValueAboutNinetyFivePercentOfTheTime()
    {
        var d = await CreateAsync(new { city = "synthetic", cellSizeHa = 0.1, stratification = "district", allocation = "proportional", sampleSize = 80, seed = 1 });
        var code = d.GetProperty("code").GetString()!;
        var (cityId, designId) = (await service.Db.ScalarAsync<int>("SELECT city_id FROM sample_designs WHERE code = $1", code),
                                  await service.Db.ScalarAsync<long>("SELECT id FROM sample_designs WHERE code = $1", code));
        await using var conn = await service.Db.DataSource.OpenConnectionAsync(Ct);
        var frame = await SampleAreas.ReadValuesAsync(conn, null, cityId, designId, false, Ct);
        var strata = frame.GroupBy(c => c.Stratum).Select(g => new Stratum(g.Key, g.Count())).ToList();
        var sizes = StratifiedSampling.Allocate(strata, 80, Allocation.Proportional);
        // The stored draw is the domain draw of seed 1: the service and this loop agree.
        var stored = (await SampledAsync(code)).Select(c => c.Cell).Order();
        Assert.Equal(StratifiedSampling.Draw(frame.Select(c => new FrameUnit(c.Cell, c.Stratum)).ToList(), sizes, 1).Select(u => (int)u.Id).Order(), stored);

        foreach (var quantity in new[] { "population", "properties" })
        {
            var q = SampleAreas.Quantities[quantity];
            var census = frame.Sum(q.Y);
            var covered = 0;
            for (var seed = 1; seed <= 200; seed++)
            {
                var drawn = StratifiedSampling.Draw(frame.Select(c => new FrameUnit(c.Cell, c.Stratum)).ToList(), sizes, seed).Select(u => (int)u.Id).ToHashSet();
                var e = SampleAreas.Estimate(frame.Select(c => c with { Sampled = drawn.Contains(c.Cell) }).ToList(), q);
                if (e.Lower95 <= census && census <= e.Upper95) covered++;
            }
            Assert.InRange(covered / 200.0, 0.88, 0.99);
        }
    }

    [Theory]
    [InlineData("""{"city":"synthetic","cellSizeHa":0,"sampleSize":5}""", 400, "cell size")]
    [InlineData("""{"city":"synthetic","cellSizeHa":-3,"sampleSize":5}""", 400, "cell size")]
    [InlineData("""{"city":"synthetic","cellSizeHa":1,"sampleSize":5,"stratification":"colour"}""", 400, "stratification")]
    [InlineData("""{"city":"synthetic","cellSizeHa":1,"sampleSize":5,"allocation":"lucky"}""", 400, "allocation")]
    [InlineData("""{"city":"synthetic","cellSizeHa":1,"sampleSize":100000}""", 422, "larger than the frame")]
    [InlineData("""{"city":"synthetic","cellSizeHa":1,"sampleSize":5,"epoch":1999}""", 422, "epoch")]
    [InlineData("""{"city":"atlantis","cellSizeHa":1,"sampleSize":5}""", 404, "atlantis")]
    [InlineData("""{"city":"synthetic","cellSizeHa":"big"}""", 400, "JSON")]
    public async Task ImpossibleDesignsAreRefusedWithProblemDetails(string body, int status, string reason)
    {
        using var client = Planner();
        using var response = await client.PostAsync("/api/sample-areas", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await service.Db.ScalarAsync<long>("SELECT count(*) FROM sample_designs WHERE code LIKE 'pending-%'"));
    }

    [Fact]
    public async Task UnknownQuantitiesAndSamplesAndAnonymousWritesAreRefused()
    {
        var code = (await CreateAsync(new { city = "synthetic", cellSizeHa = 1, sampleSize = 5 })).GetProperty("code").GetString();
        using var client = service.Api.CreateClient();
        using var q = await client.GetAsync($"/api/sample-areas/{code}/estimates?quantity=happiness", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, q.StatusCode);
        Assert.Equal("application/problem+json", q.Content.Headers.ContentType?.MediaType);
        using var missing = await client.GetAsync("/api/sample-areas/SYN-SA-999999/estimates?quantity=population", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var anonymous = await client.PostAsJsonAsync("/api/sample-areas", new { city = "synthetic", cellSizeHa = 1, sampleSize = 5 }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var list = await GetAsync("/api/sample-areas?city=synthetic");
        Assert.Contains(list.EnumerateArray(), d => d.GetProperty("code").GetString() == code);
    }

    [Fact]
    public async Task ANationalSampleFromACsvUniverseIsStratifiedByRegionAndSizeClassAndReproducible()
    {
        var csv = new StringBuilder("name,population,region,size_class\n");
        for (var i = 0; i < 90; i++) csv.Append(CultureInfo($"City {i:00},{30_000 + i * 60_000},{(i % 3 == 0 ? "Coast" : "Interior")},\n"));
        async Task<JsonElement> Post(long seed)
        {
            using var client = Planner();
            using var response = await client.PostAsync($"/api/national-samples?sampleSize=18&allocation=neyman&seed={seed}",
                new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"), Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Created, text);
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        var a = await Post(4);
        var b = await Post(4);
        var c = await Post(5);
        string Names(JsonElement r) => string.Join("|", r.GetProperty("cities").EnumerateArray().Select(x => x.GetProperty("name").GetString()));
        Assert.Equal(Names(a), Names(b));
        Assert.NotEqual(Names(a), Names(c));
        Assert.Equal(18, a.GetProperty("cities").GetArrayLength());
        foreach (var s in a.GetProperty("strata").EnumerateArray())
        {
            var cities = a.GetProperty("cities").EnumerateArray().Where(x => x.GetProperty("stratum").GetString() == s.GetProperty("stratum").GetString()).ToList();
            Assert.Equal(s.GetProperty("sampled").GetInt32(), cities.Count);
            Assert.Equal(s.GetProperty("cities").GetInt32(), cities.Sum(x => x.GetProperty("weight").GetDouble()), 6);
        }
        Assert.Contains(a.GetProperty("strata").EnumerateArray(), s => s.GetProperty("stratum").GetString() == "Coast × 1m-5m");
        var stored = await GetAsync($"/api/national-samples/{a.GetProperty("code").GetString()}");
        Assert.Equal(Names(a), Names(stored));
    }

    private static string CultureInfo(FormattableString s) => FormattableString.Invariant(s);

    [Theory]
    [InlineData("application/json", """{"cities":[{"name":"A","population":10,"region":"R"}],"sampleSize":2}""", 422)]
    [InlineData("application/json", """{"cities":[{"name":"A","population":10,"region":"R"},{"name":"A","population":5,"region":"R"}],"sampleSize":1}""", 422)]
    [InlineData("application/json", """{"cities":[{"name":"A","region":"R"}],"sampleSize":1}""", 400)]
    [InlineData("application/json", """{"cities":[{"name":"A","population":10,"region":"R"}],"sampleSize":1,"allocation":"random"}""", 400)]
    [InlineData("text/csv", "name,region\nA,R\n", 400)]
    [InlineData("application/xml", "<cities/>", 415)]
    public async Task ImpossibleNationalSamplesAreRefusedWithProblemDetails(string media, string body, int status)
    {
        using var client = Planner();
        using var response = await client.PostAsync("/api/national-samples?sampleSize=1", new StringContent(body, Encoding.UTF8, media), Ct);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
