using System.IO.Compression;
using System.Net;
using System.Text.Json;
using UrbanMonitor.Api.Layers;
using static UrbanMonitor.Api.Tests.FeaturesTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>OGC API - Features on the synthetic city (2,000 parcels), against the real PostGIS.</summary>
public class FeaturesApiTests(SyntheticCityService service) : IClassFixture<SyntheticCityService>
{
    private const string Crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
    private const string Epsg4326 = "http://www.opengis.net/def/crs/EPSG/0/4326";

    [Fact]
    public async Task LandingPageLinksToTheOpenApiDocumentConformanceAndDataWithMediaTypes()
    {
        using var client = service.Api.CreateClient();
        var landing = await GetJsonAsync(client, "/");
        var links = Links(landing).ToList();
        Assert.All(links, l =>
        {
            Assert.False(string.IsNullOrEmpty(l.GetProperty("rel").GetString()));
            Assert.False(string.IsNullOrEmpty(l.GetProperty("type").GetString()));
        });
        var desc = Assert.Single(links, l => l.GetProperty("rel").GetString() == "service-desc");
        Assert.StartsWith("application/vnd.oai.openapi+json", desc.GetProperty("type").GetString());
        var api = await GetJsonAsync(client, new Uri(desc.GetProperty("href").GetString()!).PathAndQuery);
        Assert.StartsWith("3.", api.GetProperty("openapi").GetString());
        var items = api.GetProperty("paths").GetProperty("/collections/{collectionId}/items").GetProperty("get");
        var parameters = items.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        foreach (var name in new[] { "limit", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang", "filter-crs", "sortby", "properties", "city" })
            Assert.Contains(name, parameters);
        Assert.Contains(links, l => l.GetProperty("rel").GetString() == "conformance");
        Assert.Contains(links, l => l.GetProperty("rel").GetString() == "data");

        var conformance = await GetJsonAsync(client, "/conformance");
        var classes = conformance.GetProperty("conformsTo").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core", classes);
        Assert.Contains("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs", classes);
        Assert.Contains("http://www.opengis.net/spec/cql2/1.0/conf/cql2-text", classes);
    }

    [Theory]
    [InlineData("10001")]
    [InlineData("2147483648")]
    [InlineData("99999999999999999999999")]
    public async Task ALimitAboveTheMaximumIsServedAsTheMaximumNotRefused(string limit)
    {
        // OGC API - Features: a limit larger than the maximum is no error; the maximum (10000) is used instead.
        using var client = service.Api.CreateClient();
        var page = await GetJsonAsync(client, $"/collections/properties/items?limit={limit}");
        Assert.Equal(2_000, page.GetProperty("numberReturned").GetInt32()); // the synthetic city's 2,000 parcels, on one page
    }

    [Fact]
    public async Task TheOpenApiDocumentNamesTheQueryParametersOfOneFeatureTheChangeFeedAndTheExport()
    {
        using var client = service.Api.CreateClient();
        var api = await GetJsonAsync(client, "/api");
        List<string?> Query(string path) => api.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()).ToList();
        // OGC API - Features Part 2: crs on a single feature as on items; the oas30 class: the document describes the API.
        Assert.Equal(["crs", "f"], Query("/collections/{collectionId}/items/{featureId}"));
        Assert.Equal(["since", "limit", "city"], Query("/collections/{collectionId}/changes"));
        // An export takes the items' filters, no paging, and its format: exactly what ItemsRequest accepts for it.
        var export = Query("/collections/{collectionId}/export");
        Assert.Equal(UrbanMonitor.Api.Features.ItemsRequest.KnownForExport.Order(StringComparer.Ordinal), export.Order(StringComparer.Ordinal));
        Assert.Equal(UrbanMonitor.Api.Features.ItemsRequest.Known.Order(StringComparer.Ordinal),
            Query("/collections/{collectionId}/items").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task EveryLayerIsACollectionWithItsLicenceSourceCrsListAndTypedLinks()
    {
        using var client = service.Api.CreateClient();
        var collections = await GetJsonAsync(client, "/collections");
        var ids = collections.GetProperty("collections").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.Equal(LayerCatalogue.All.Select(l => l.Id), ids);
        Assert.Contains(Epsg4326, collections.GetProperty("crs").EnumerateArray().Select(c => c.GetString()));
        foreach (var id in ids)
        {
            var c = await GetJsonAsync(client, $"/collections/{id}");
            Assert.All(Links(c), l => Assert.False(string.IsNullOrEmpty(l.GetProperty("type").GetString())));
            var licence = Assert.Single(Links(c), l => l.GetProperty("rel").GetString() == "license");
            Assert.Contains("CC0 1.0", licence.GetProperty("title").GetString());
            Assert.Contains("synthetic city generator", c.GetProperty("description").GetString());
            Assert.Equal(Crs84, c.GetProperty("storageCrs").GetString());
            var crs = c.GetProperty("crs").EnumerateArray().Select(x => x.GetString()).ToList();
            Assert.Contains(Crs84, crs);
            Assert.Contains(Epsg4326, crs);
            Assert.Contains("http://www.opengis.net/def/crs/EPSG/0/3857", crs);
            Assert.Contains("http://www.opengis.net/def/crs/EPSG/0/32642", crs);
            var bbox = c.GetProperty("extent").GetProperty("spatial").GetProperty("bbox")[0].EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.True(bbox[0] < 69 && bbox[2] > 69, $"{id}: the synthetic city straddles 69°E, extent {string.Join(",", bbox)}");
            Assert.Contains(Links(c), l => l.GetProperty("rel").GetString() == "items" && l.GetProperty("type").GetString() == "application/geo+json");
        }
    }

    [Fact]
    public async Task HtmlIsServedForFHtmlAndForABrowsersAcceptHeader()
    {
        using var client = service.Api.CreateClient();
        foreach (var url in new[] { "/?f=html", "/collections?f=html", "/collections/properties?f=html", "/collections/properties/items?f=html&limit=5", "/conformance?f=html", "/collections/settlements/queryables?f=html" })
        {
            using var r = await client.GetAsync(url, Ct);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("text/html", r.Content.Headers.ContentType?.MediaType);
            Assert.Contains("<h1>", await r.Content.ReadAsStringAsync(Ct));
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/collections");
        request.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        using var browser = await client.SendAsync(request, Ct);
        Assert.Equal("text/html", browser.Content.Headers.ContentType?.MediaType);
        var html = await (await client.GetAsync("/collections/properties/items?f=html&limit=5", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("rel=\"next\"", html);
    }

    [Fact]
    public async Task FollowingNextLinksReturnsEveryPropertyExactlyOnceInKeysetOrder()
    {
        using var client = service.Api.CreateClient();
        var (features, pages) = await AllFeaturesAsync(client, "/collections/properties/items?limit=150");
        Assert.Equal(14, pages); // 2,000 / 150 rounded up: the last page is not followed by an empty one
        var first = await GetJsonAsync(client, "/collections/properties/items?limit=150");
        Assert.False(first.TryGetProperty("numberMatched", out _), "a count of the whole set is not made for a page");
        var whole = await GetJsonAsync(client, "/collections/settlements/items?limit=150");
        Assert.Equal(3, whole.GetProperty("numberMatched").GetInt32()); // free when one page holds every match
        var expected = await SqlIdsAsync(service.Db, "SELECT id FROM properties ORDER BY city_id, id");
        Assert.Equal(expected, Ids(features));
    }

    [Fact]
    public async Task FollowingNextLinksWithSortbyReturnsEveryFeatureOnceInTheRequestedOrder()
    {
        using var client = service.Api.CreateClient();
        var (features, _) = await AllFeaturesAsync(client, "/collections/properties/items?limit=77&sortby=-block,%2Bparcel&properties=block,parcel");
        var expected = await SqlIdsAsync(service.Db, "SELECT id FROM properties ORDER BY block DESC, parcel, city_id, id");
        Assert.Equal(expected, Ids(features));
        Assert.All(features, f => Assert.Equal(["block", "parcel"], f.GetProperty("properties").EnumerateObject().Select(p => p.Name)));
    }

    [Fact]
    public async Task SortbyOnANullableColumnPagesThroughNullsToo()
    {
        await service.Db.ScalarAsync<long>("WITH u AS (UPDATE settlements SET households = NULL WHERE code = '2' RETURNING 1) SELECT count(*) FROM u");
        using var client = service.Api.CreateClient();
        foreach (var sort in new[] { "households", "-households" })
        {
            var (features, _) = await AllFeaturesAsync(client, $"/collections/settlements/items?limit=1&sortby={Uri.EscapeDataString(sort)}");
            var expected = await SqlIdsAsync(service.Db, $"SELECT id FROM settlements ORDER BY households {(sort.StartsWith('-') ? "DESC" : "")}, city_id, id");
            Assert.Equal(expected, Ids(features));
        }
    }

    [Fact]
    public async Task FeaturesCarryOnlyTheCataloguesPublicColumnsAndTheCity()
    {
        using var client = service.Api.CreateClient();
        foreach (var layer in LayerCatalogue.All)
        {
            var page = await GetJsonAsync(client, $"/collections/{layer.Id}/items?limit=50");
            var allowed = layer.PublicColumns.Select(c => c.Name).Append("city").ToHashSet();
            var features = page.GetProperty("features").EnumerateArray().ToList();
            Assert.NotEmpty(features);
            foreach (var f in features)
            {
                Assert.Equal(["type", "id", "geometry", "properties"], f.EnumerateObject().Select(p => p.Name));
                Assert.All(f.GetProperty("properties").EnumerateObject(), p => Assert.Contains(p.Name, allowed));
                Assert.Equal("synthetic", f.GetProperty("properties").GetProperty("city").GetString());
            }
            var one = await GetJsonAsync(client, $"/collections/{layer.Id}/items/{features[0].GetProperty("id").GetInt64()}");
            Assert.All(one.GetProperty("properties").EnumerateObject(), p => Assert.Contains(p.Name, allowed));
        }
    }

    [Fact]
    public async Task OneFeatureIsFoundByIdAndAnUnknownIdIsA404Problem()
    {
        using var client = service.Api.CreateClient();
        var id = (await SqlIdsAsync(service.Db, "SELECT id FROM properties WHERE code = 'SYN-2-1-1'")).Single();
        var f = await GetJsonAsync(client, $"/collections/properties/items/{id}");
        Assert.Equal("SYN-2-1-1", f.GetProperty("properties").GetProperty("code").GetString());
        Assert.Contains(Links(f), l => l.GetProperty("rel").GetString() == "collection");
        foreach (var missing in new[] { "999999999", "abc", "-1" })
        {
            using var r = await client.GetAsync($"/collections/properties/items/{missing}", Ct);
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Epsg4326OutputIsLatitudeFirstAndCrs84IsLongitudeFirst()
    {
        using var client = service.Api.CreateClient();
        using var r84 = await client.GetAsync("/collections/transit-stops/items?limit=5", Ct);
        Assert.Equal($"<{Crs84}>", r84.Headers.GetValues("Content-Crs").Single());
        using var r4326 = await client.GetAsync($"/collections/transit-stops/items?limit=5&crs={Uri.EscapeDataString(Epsg4326)}", Ct);
        Assert.Equal($"<{Epsg4326}>", r4326.Headers.GetValues("Content-Crs").Single());
        var a = JsonDocument.Parse(await r84.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("features");
        var b = JsonDocument.Parse(await r4326.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("features");
        for (var i = 0; i < 5; i++)
        {
            var lonLat = a[i].GetProperty("geometry").GetProperty("coordinates");
            var latLon = b[i].GetProperty("geometry").GetProperty("coordinates");
            Assert.InRange(lonLat[0].GetDouble(), 68, 70);  // longitude of Mazar-e-Sharif's region
            Assert.InRange(lonLat[1].GetDouble(), 35, 37);
            Assert.Equal(lonLat[0].GetDouble(), latLon[1].GetDouble());
            Assert.Equal(lonLat[1].GetDouble(), latLon[0].GetDouble());
        }
    }

    [Theory]
    [InlineData(3857)]
    [InlineData(32642)]
    public async Task ProjectedOutputEqualsPostgisTransform(int srid)
    {
        using var client = service.Api.CreateClient();
        var page = await GetJsonAsync(client, $"/collections/transit-stops/items?limit=3&crs=http://www.opengis.net/def/crs/EPSG/0/{srid}");
        foreach (var f in page.GetProperty("features").EnumerateArray())
        {
            var xy = f.GetProperty("geometry").GetProperty("coordinates");
            var id = f.GetProperty("id").GetInt64();
            var x = await service.Db.ScalarAsync<double>("SELECT ST_X(ST_Transform(geom, $2)) FROM transit_stops WHERE id = $1", id, srid);
            var y = await service.Db.ScalarAsync<double>("SELECT ST_Y(ST_Transform(geom, $2)) FROM transit_stops WHERE id = $1", id, srid);
            Assert.Equal(x, xy[0].GetDouble(), 0.001);
            Assert.Equal(y, xy[1].GetDouble(), 0.001);
        }
    }

    [Fact]
    public async Task BboxIsReadInTheAxisOrderOfBboxCrsAndSelectsWhatPostgisSelects()
    {
        using var client = service.Api.CreateClient();
        var box = new double[4];
        for (var i = 0; i < 4; i++)
            box[i] = await service.Db.ScalarAsync<double>(
                $"SELECT {new[] { "ST_XMin", "ST_YMin", "ST_XMax", "ST_YMax" }[i]}(ST_Expand(ST_Centroid(geom), 0.002)) FROM districts WHERE code = '1'");
        var expected = await SqlIdsAsync(service.Db,
            "SELECT id FROM properties WHERE ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326)) ORDER BY city_id, id", box[0], box[1], box[2], box[3]);
        Assert.InRange(expected.Count, 10, 1_999);
        string F(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var lonLat = $"{F(box[0])},{F(box[1])},{F(box[2])},{F(box[3])}";
        var latLon = $"{F(box[1])},{F(box[0])},{F(box[3])},{F(box[2])}";
        Assert.Equal(expected, Ids((await AllFeaturesAsync(client, $"/collections/properties/items?limit=1000&bbox={lonLat}")).Features));
        Assert.Equal(expected, Ids((await AllFeaturesAsync(client, $"/collections/properties/items?limit=1000&bbox={latLon}&bbox-crs={Uri.EscapeDataString(Epsg4326)}")).Features));
        Assert.Equal(expected, Ids((await AllFeaturesAsync(client, $"/collections/properties/items?limit=1000&bbox={lonLat}&bbox-crs={Uri.EscapeDataString(Crs84)}")).Features));
    }

    public static TheoryData<string, string, string> Filters => new()
    {
        { "properties", "district_code = '2' AND block IN ('1','3') AND NOT parcel LIKE '1%'", "district_code = '2' AND block IN ('1','3') AND NOT parcel LIKE '1%'" },
        { "properties", "district_code <> '1' OR (block >= '5' AND parcel < '3')", "district_code <> '1' OR (block >= '5' AND parcel < '3')" },
        { "settlements", "population BETWEEN 950 AND 1100", "population BETWEEN 950 AND 1100" },
        { "settlements", "households > 190 AND name NOT LIKE '%3'", "households > 190 AND name NOT LIKE '%3'" },
        { "settlements", "surveyed_on IS NULL AND population > 1400", "surveyed_on IS NULL AND population > 1400" },
        { "transit-stops", "capacity = 'low' AND \"mode\" = 'bus'", "capacity = 'low' AND mode = 'bus'" },
        { "districts", "code IN ('1', '2') AND population >= 0", "code IN ('1', '2') AND population >= 0" },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Cql2TextFiltersGiveTheSameFeaturesAsTheEquivalentSql(string collection, string filter, string sqlWhere)
    {
        using var client = service.Api.CreateClient();
        var table = LayerCatalogue.All.Single(l => l.Id == collection).Table;
        var expected = await SqlIdsAsync(service.Db, $"SELECT id FROM {table} WHERE {sqlWhere} ORDER BY city_id, id");
        var (features, _) = await AllFeaturesAsync(client, $"/collections/{collection}/items?limit=500&filter={Uri.EscapeDataString(filter)}");
        Assert.Equal(expected, Ids(features));
        var total = await service.Db.ScalarAsync<long>($"SELECT count(*) FROM {table}");
        Assert.True(total > expected.Count, "the filter must leave something out to prove anything");
    }

    [Fact]
    public async Task Cql2JsonFiltersGiveTheSameFeaturesAsCql2TextAndSql()
    {
        using var client = service.Api.CreateClient();
        const string json = """
            {"op":"and","args":[
              {"op":"=","args":[{"property":"district_code"},"3"]},
              {"op":"in","args":[{"property":"block"},["2","4"]]},
              {"op":"not","args":[{"op":"like","args":[{"property":"parcel"},"1%"]}]}]}
            """;
        const string text = "district_code = '3' AND block IN ('2', '4') AND NOT parcel LIKE '1%'";
        var expected = await SqlIdsAsync(service.Db, $"SELECT id FROM properties WHERE {text} ORDER BY city_id, id");
        Assert.NotEmpty(expected);
        var fromJson = Ids((await AllFeaturesAsync(client, $"/collections/properties/items?limit=1000&filter-lang=cql2-json&filter={Uri.EscapeDataString(json)}")).Features);
        var fromText = Ids((await AllFeaturesAsync(client, $"/collections/properties/items?limit=1000&filter-lang=cql2-text&filter={Uri.EscapeDataString(text)}")).Features);
        Assert.Equal(expected, fromJson);
        Assert.Equal(expected, fromText);
    }

    [Fact]
    public async Task SpatialFiltersWithWktAndGeoJsonLiteralsGiveTheSameFeaturesAsPostgis()
    {
        using var client = service.Api.CreateClient();
        var wkt = await service.Db.ScalarAsync<string>("SELECT ST_AsText(ST_Buffer(ST_Centroid(geom), 0.003, 4)) FROM districts WHERE code = '2'");
        var geojson = await service.Db.ScalarAsync<string>("SELECT ST_AsGeoJSON(ST_GeomFromText($1))", wkt);
        var intersects = await SqlIdsAsync(service.Db, "SELECT id FROM properties WHERE ST_Intersects(geom, ST_GeomFromText($1, 4326)) ORDER BY city_id, id", wkt);
        var within = await SqlIdsAsync(service.Db, "SELECT id FROM properties WHERE ST_Within(geom, ST_GeomFromText($1, 4326)) ORDER BY city_id, id", wkt);
        Assert.NotEmpty(within);
        Assert.True(intersects.Count > within.Count);

        Assert.Equal(intersects, Ids((await AllFeaturesAsync(client, $"/collections/properties/items?limit=1000&filter={Uri.EscapeDataString($"S_INTERSECTS(geom, {wkt})")}")).Features));
        Assert.Equal(within, Ids((await AllFeaturesAsync(client, $"/collections/properties/items?limit=1000&filter={Uri.EscapeDataString($"s_within(geom,{wkt})")}")).Features));
        var json = $$"""{"op":"s_intersects","args":[{"property":"geom"},{{geojson}}]}""";
        Assert.Equal(intersects, Ids((await AllFeaturesAsync(client, $"/collections/properties/items?limit=1000&filter-lang=cql2-json&filter={Uri.EscapeDataString(json)}")).Features));

        // The same polygon written in EPSG:4326's latitude-first order with filter-crs.
        var flipped = await service.Db.ScalarAsync<string>("SELECT ST_AsText(ST_FlipCoordinates(ST_GeomFromText($1)))", wkt);
        Assert.Equal(intersects, Ids((await AllFeaturesAsync(client,
            $"/collections/properties/items?limit=1000&filter-crs={Uri.EscapeDataString(Epsg4326)}&filter={Uri.EscapeDataString($"S_INTERSECTS(geom, {flipped})")}")).Features));
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { "/collections/properties/items?filter=" + Uri.EscapeDataString("colour = 'red'"), "invalid-filter", "unknown property 'colour'" },
        { "/collections/settlements/items?filter=" + Uri.EscapeDataString("population > 'many'"), "invalid-filter", "position 12: type mismatch" },
        { "/collections/properties/items?filter=" + Uri.EscapeDataString("code = 'x' AND"), "invalid-filter", "position 15" },
        { "/collections/properties/items?filter=" + Uri.EscapeDataString("code = 'x"), "invalid-filter", "unterminated string" },
        { "/collections/properties/items?filter=" + Uri.EscapeDataString("code = 'x'; DROP TABLE properties; --"), "invalid-filter", "position 11" },
        { "/collections/properties/items?filter=" + Uri.EscapeDataString("code = 'x' OR 1=1) --"), "invalid-filter", "position" },
        { "/collections/properties/items?filter=" + Uri.EscapeDataString("pg_sleep(10) = 1"), "invalid-filter", "unknown function 'pg_sleep'" },
        { "/collections/properties/items?filter=" + Uri.EscapeDataString("\"code; DROP TABLE properties\" = 'x'"), "invalid-filter", "unknown property 'code; DROP TABLE properties'" },
        { "/collections/properties/items?filter=" + Uri.EscapeDataString("S_INTERSECTS(geom, POLYGON((0 0, 1 1, 1 0)))"), "invalid-filter", "invalid WKT" },
        { "/collections/properties/items?filter=" + Uri.EscapeDataString("S_INTERSECTS(geom, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))"), "invalid-filter", "Self-intersection" },
        { "/collections/properties/items?filter=" + Uri.EscapeDataString("S_INTERSECTS(code, POINT(69 35))"), "invalid-filter", "needs geometries" },
        { "/collections/properties/items?filter-lang=cql2-json&filter=" + Uri.EscapeDataString("{\"op\":\"=\",\"args\":[{\"property\":\"nope\"},1]}"), "invalid-filter", "$.args[0]" },
        { "/collections/properties/items?filter-lang=cql2-json&filter=" + Uri.EscapeDataString("{\"op\":\"drop\",\"args\":[]}"), "invalid-filter", "unknown or unsupported operator 'drop'" },
        { "/collections/properties/items?filter-lang=cql2-json&filter=" + Uri.EscapeDataString("{not json"), "invalid-filter", "not JSON" },
        { "/collections/properties/items?filter-lang=sql&filter=1", "invalid-parameter", "filter-lang" },
        { "/collections/properties/items?bbox=1,2,3", "invalid-bbox", "4 numbers" },
        { "/collections/properties/items?bbox=a,2,3,4", "invalid-bbox", "not a number" },
        { "/collections/properties/items?bbox=10,95,11,96", "invalid-bbox", "latitudes" },
        { "/collections/properties/items?bbox=100,10,101,11&bbox-crs=" + "http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F4326", "invalid-bbox", "EPSG:4326 axis order" },
        { "/collections/properties/items?bbox=11,2,10,3", "invalid-bbox", "antimeridian" },
        { "/collections/properties/items?crs=EPSG:27700", "invalid-crs", "not supported" },
        // A UTM box 10 million km wide: PROJ cannot carry it into EPSG:4326 (PostGIS raised an internal error, once a 500).
        { "/collections/properties/items?bbox=0,0,1e10,1e10&bbox-crs=EPSG:32642", "invalid-parameter", "outside the area where its CRS is defined" },
        { "/collections/properties/items?bbox-crs=EPSG:4326", "invalid-parameter", "without bbox" },
        { "/collections/properties/items?filter-crs=urn:nothing&filter=code='x'", "invalid-crs", "filter-crs" },
        { "/collections/properties/items?limit=0", "invalid-parameter", "limit" },
        { "/collections/properties/items?limit=ten", "invalid-parameter", "limit" },
        { "/collections/properties/items?sortby=password", "invalid-parameter", "unknown property 'password'" },
        { "/collections/properties/items?properties=attributes", "invalid-parameter", "unknown property 'attributes'" },
        { "/collections/properties/items?datetime=2020-01-01", "invalid-parameter", "has no date" },
        { "/collections/settlements/items?datetime=yesterday", "invalid-parameter", "datetime" },
        { "/collections/properties/items?cursor=not-a-cursor", "invalid-parameter", "cursor" },
        { "/collections/properties/items?cursor=WyJ4IiwxLDJd", "invalid-parameter", "another sortby" },
        { "/collections/properties/items?unknown=1", "invalid-parameter", "Unknown query parameter 'unknown'" },
        { "/collections/properties/items?f=xml", "invalid-parameter", "f must be" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadParametersAndFiltersAre400ProblemsWithAPreciseReason(string url, string type, string detail)
    {
        using var client = service.Api.CreateClient();
        using var r = await client.GetAsync(url, Ct);
        var body = await r.Content.ReadAsStringAsync(Ct);
        Assert.True(r.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("urn:urbanmonitor:problem:" + type, doc.RootElement.GetProperty("type").GetString());
        Assert.Contains(detail, doc.RootElement.GetProperty("detail").GetString());
        Assert.Equal(2_000, await service.Db.ScalarAsync<long>("SELECT count(*) FROM properties"));
    }

    [Fact]
    public async Task AStringLiteralThatLooksLikeSqlIsOnlyEverAValue()
    {
        using var client = service.Api.CreateClient();
        var filter = "code = 'x'' OR ''1''=''1' OR name LIKE '%'' --'";
        var page = await GetJsonAsync(client, $"/collections/settlements/items?filter={Uri.EscapeDataString(filter)}");
        Assert.Empty(page.GetProperty("features").EnumerateArray());
        Assert.Equal(3, await service.Db.ScalarAsync<long>("SELECT count(*) FROM settlements"));
    }

    [Fact]
    public async Task AnUnknownCollectionIsA404ProblemAndACityNoFeatureHasMatchesNothing()
    {
        using var client = service.Api.CreateClient();
        var a = await GetJsonAsync(client, "/collections/parcels/items", HttpStatusCode.NotFound);
        Assert.Equal("urn:urbanmonitor:problem:collection-not-found", a.GetProperty("type").GetString());
        // city filters on the features' city property (GDAL sends -where "city = '…'" as ?city=…): a value no feature
        // has is an empty page, like any other filter that matches nothing.
        foreach (var city in new[] { "atlantis", "Not%20A%20Slug", "SYNTHETIC" })
        {
            var b = await GetJsonAsync(client, $"/collections/properties/items?city={city}");
            Assert.Empty(b.GetProperty("features").EnumerateArray());
            Assert.Equal(0, b.GetProperty("numberMatched").GetInt32());
        }
        using (var export = await client.GetAsync("/collections/properties/export?format=csv&city=atlantis", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, export.StatusCode);
            Assert.Equal("id,city,code,status,district_code,block,parcel,WKT", (await export.Content.ReadAsStringAsync(Ct)).Trim());
        }
        var c = await GetJsonAsync(client, "/collections/properties/items?city=synthetic&limit=1");
        Assert.Single(c.GetProperty("features").EnumerateArray());
    }

    [Fact]
    public async Task QueryablesListThePublicColumnsAndTheGeometryAsJsonSchema()
    {
        using var client = service.Api.CreateClient();
        using var r = await client.GetAsync("/collections/settlements/queryables", Ct);
        Assert.Equal("application/schema+json", r.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct));
        var props = doc.RootElement.GetProperty("properties");
        Assert.Equal("integer", props.GetProperty("population").GetProperty("type").GetString());
        Assert.Equal("date", props.GetProperty("surveyed_on").GetProperty("format").GetString());
        Assert.Equal("geometry-multipolygon", props.GetProperty("geom").GetProperty("format").GetString());
        Assert.False(props.TryGetProperty("attributes", out _));
    }

    [Fact]
    public async Task ItemsAreGzippedWhenTheClientAsks()
    {
        using var client = service.Api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/collections/properties/items?limit=500");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");
        using var r = await client.SendAsync(request, Ct);
        Assert.Equal("gzip", Assert.Single(r.Content.Headers.ContentEncoding));
        await using var gz = new GZipStream(await r.Content.ReadAsStreamAsync(Ct), CompressionMode.Decompress);
        using var doc = await JsonDocument.ParseAsync(gz, cancellationToken: Ct);
        Assert.Equal(500, doc.RootElement.GetProperty("numberReturned").GetInt32());
    }

    [Fact]
    public async Task AnExportStreamsTheWholeFilteredCollectionAsOneGeoJsonFile()
    {
        using var client = service.Api.CreateClient();
        using var r = await client.GetAsync("/collections/properties/export?filter=" + Uri.EscapeDataString("district_code IN ('2', '3')"), Ct);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/geo+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal("properties.geojson", r.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct));
        var expected = await SqlIdsAsync(service.Db, "SELECT id FROM properties WHERE district_code IN ('2', '3') ORDER BY city_id, id");
        Assert.True(expected.Count > UrbanMonitor.Api.Features.ItemsRequest.DefaultLimit, "more features than one page");
        Assert.Equal(expected, Ids(doc.RootElement.GetProperty("features").EnumerateArray()));
    }

    [Fact]
    public async Task ACsvExportHasAHeaderOneQuotedLinePerFeatureAndWktInTheRequestedCrs()
    {
        await service.Db.ScalarAsync<long>("""WITH u AS (UPDATE settlements SET name = 'Vila "Nova", Norte' WHERE code = '1' RETURNING 1) SELECT count(*) FROM u""");
        using var client = service.Api.CreateClient();
        using var r = await client.GetAsync("/collections/settlements/export?format=csv&sortby=code", Ct);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/csv", r.Content.Headers.ContentType?.MediaType);
        var lines = (await r.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,city,code,name,population,households,source,surveyed_on,WKT", lines[0]);
        Assert.Equal(4, lines.Length);
        var first = ParseCsvLine(lines[1]);
        Assert.Equal(["synthetic", "1", "Vila \"Nova\", Norte"], first[1..4]);
        Assert.Equal("", first[7]); // no survey date: an empty field
        var sameShape = await service.Db.ScalarAsync<bool>(
            "SELECT ST_HausdorffDistance(ST_GeomFromText($1, 4326), geom) < 1e-8 FROM settlements WHERE id = $2", first[8], long.Parse(first[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(sameShape);

        using var utm = await client.GetAsync("/collections/settlements/export?format=csv&properties=code&crs=EPSG:32642", Ct);
        var utmLines = (await utm.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,code,WKT", utmLines[0]);
        var wkt = ParseCsvLine(utmLines[1])[2];
        Assert.True(await service.Db.ScalarAsync<bool>(
            "SELECT ST_HausdorffDistance(ST_GeomFromText($1, 32642), ST_Transform(geom, 32642)) < 0.01 FROM settlements WHERE id = $2",
            wkt, long.Parse(ParseCsvLine(utmLines[1])[0], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("/collections/properties/export?format=kml", "format must be geojson, csv, gpkg or shp")]
    [InlineData("/collections/properties/export?limit=10", "Unknown query parameter 'limit'")]
    [InlineData("/collections/properties/export?filter=nope%3D1", "unknown property 'nope'")]
    [InlineData("/collections/properties/export?format=gpkg&bbox=0,0,1e10,1e10&bbox-crs=EPSG:32642", "outside the area where its CRS is defined")]
    public async Task AnExportWithBadParametersIsA400Problem(string url, string detail)
    {
        using var client = service.Api.CreateClient();
        var problem = await GetJsonAsync(client, url, HttpStatusCode.BadRequest);
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }

    /// <summary>RFC 4180: fields separated by commas, quoted fields with doubled quotes inside.</summary>
    private static string[] ParseCsvLine(string line)
    {
        var fields = new List<string>();
        var sb = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else sb.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(ch);
        }
        fields.Add(sb.ToString());
        return [.. fields];
    }
}
