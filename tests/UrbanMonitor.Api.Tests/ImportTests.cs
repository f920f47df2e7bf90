using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>One database and service for the import tests; each test imports into cities of its own.</summary>
public sealed class ImportService : IAsyncLifetime
{
    public TestDatabase Db { get; } = new();
    public ApiFactory Api { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        Api = new ApiFactory(Db.ConnectionString);
        Client = Api.CreateClient().WithToken(TestTokens.For("admin"));
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Api is not null) await Api.DisposeAsync();
        await Db.DisposeAsync();
    }

    public async Task CityAsync(string slug)
    {
        var code = new string(slug.Where(char.IsAsciiLetter).Take(6).ToArray()).ToUpperInvariant();
        await Db.ScalarAsync<long>(
            "WITH i AS (INSERT INTO cities (slug, code, name, country) VALUES ($1, $2, $1, 'ZZ') ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM i",
            slug, code + Random.Shared.Next(10, 99));
    }

    public async Task<HttpResponseMessage> UploadAsync(string url, byte[] body, string contentType = "application/octet-stream")
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await Client.PostAsync(url, content, TestContext.Current.CancellationToken);
    }

    /// <summary>Uploads and waits for the job to end; returns the job document.</summary>
    public async Task<JsonElement> ImportAsync(string url, byte[] body, string contentType = "application/octet-stream")
    {
        using var response = await UploadAsync(url, body, contentType);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {text}");
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith("/api/imports/", location);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            using var doc = JsonDocument.Parse(await Client.GetStringAsync(location, TestContext.Current.CancellationToken));
            var status = doc.RootElement.GetProperty("status").GetString();
            if (status is "succeeded" or "failed") return doc.RootElement.Clone();
            Assert.True(DateTime.UtcNow < deadline, "the import did not finish: " + doc.RootElement);
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public static byte[] FeatureCollection(params string[] features) =>
        Encoding.UTF8.GetBytes("{\"type\":\"FeatureCollection\",\"features\":[" + string.Join(",", features) + "]}");

    public static string Polygon(string coordinates, string properties = "{}") =>
        $"{{\"type\":\"Feature\",\"properties\":{properties},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":{coordinates}}}}}";

    public static string Square(double x, double y, double size = 0.001, string properties = "{}") =>
        Polygon(FormattableString.Invariant($"[[[{x},{y}],[{x + size},{y}],[{x + size},{y + size}],[{x},{y + size}],[{x},{y}]]]"), properties);
}

public class ImportTests(ImportService s) : IClassFixture<ImportService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string BowTie = "[[[67.10,36.70],[67.11,36.71],[67.11,36.70],[67.10,36.71],[67.10,36.70]]]";

    [Fact]
    public async Task AllOrNothingWithOneSelfIntersectingFeaturePublishesNothingAndReportsWhereItBreaks()
    {
        await s.CityAsync("aon-city");
        var body = ImportService.FeatureCollection(
            ImportService.Square(67.0, 36.7, properties: "{\"name\":\"Park A\"}"),
            ImportService.Polygon(BowTie, "{\"name\":\"Bow tie\"}"),
            ImportService.Square(67.2, 36.7, properties: "{\"name\":\"Park C\"}"));
        var job = await s.ImportAsync("/api/cities/aon-city/layers/open-spaces?mode=all-or-nothing", body, "application/geo+json");
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(3, job.GetProperty("featuresRead").GetInt64());
        Assert.Equal(1, job.GetProperty("featuresInvalid").GetInt64());
        Assert.Contains("nothing was published", job.GetProperty("error").GetString());
        var issue = Assert.Single(job.GetProperty("issues").EnumerateArray());
        Assert.Equal(1, issue.GetProperty("feature").GetInt64());
        Assert.Equal("geometry-invalid", issue.GetProperty("rule").GetString());
        Assert.StartsWith("Self-intersection at POINT(67.105 36.705)", issue.GetProperty("reason").GetString());
        Assert.Equal("POINT(67.105 36.705)", issue.GetProperty("location").GetString());
        Assert.Equal(0, await s.Db.ScalarAsync<long>("SELECT count(*) FROM open_spaces o JOIN cities c ON c.id = o.city_id WHERE c.slug = 'aon-city'"));
        Assert.Equal(0, await s.Db.ScalarAsync<long>("SELECT count(*) FROM import_staging"));
    }

    [Fact]
    public async Task ValidOnlyPublishesTheValidFeaturesAndReportsTheRest()
    {
        await s.CityAsync("vo-city");
        var body = ImportService.FeatureCollection(
            ImportService.Square(67.0, 36.7, properties: "{\"name\":\"Park A\",\"kind\":\"park\"}"),
            ImportService.Polygon(BowTie),
            "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":[67.0,36.7]}}",
            "{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}",
            ImportService.Square(67.2, 36.7, properties: "{\"name\":\"Park E\"}"));
        var job = await s.ImportAsync("/api/cities/vo-city/layers/open-spaces?mode=valid-only&source=Test%20survey&licence=CC0", body);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("featuresPublished").GetInt64());
        var rules = job.GetProperty("issues").EnumerateArray().Select(i => (i.GetProperty("feature").GetInt64(), i.GetProperty("rule").GetString())).ToArray();
        Assert.Equal([(1L, "geometry-invalid"), (2L, "geometry-type"), (3L, "geometry-missing")], rules);
        Assert.Equal("Park A,Park E", await s.Db.ScalarAsync<string>(
            "SELECT string_agg(o.name, ',' ORDER BY o.name) FROM open_spaces o JOIN cities c ON c.id = o.city_id WHERE c.slug = 'vo-city'"));
        Assert.Equal("park", await s.Db.ScalarAsync<string>("SELECT kind FROM open_spaces WHERE name = 'Park A' AND attributes->>'kind' = 'park'"));
        Assert.Equal("CC0", await s.Db.ScalarAsync<string>(
            "SELECT licence FROM layer_sources l JOIN cities c ON c.id = l.city_id WHERE c.slug = 'vo-city' AND layer = 'open-spaces'"));

        var report = JsonDocument.Parse(await s.Client.GetStringAsync(job.GetProperty("links")[1].GetProperty("href").GetString(), Ct));
        Assert.Equal(3, report.RootElement.GetArrayLength());
        Assert.Contains("Point cannot go into layer open-spaces", report.RootElement[1].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task AnImportReplacesTheCitysLayerAndBuiltUpOnlyTheEpochsItBrings()
    {
        await s.CityAsync("epoch-city");
        foreach (var (epoch, squares) in new[] { (2000, 2), (2020, 3), (2000, 1) })
        {
            var body = ImportService.FeatureCollection(Enumerable.Range(0, squares).Select(i => ImportService.Square(67 + i * 0.01, 36.7)).ToArray());
            var job = await s.ImportAsync($"/api/cities/epoch-city/layers/built-up?epoch={epoch}", body);
            Assert.Equal("succeeded", job.GetProperty("status").GetString());
        }
        Assert.Equal("2000:1,2020:3", await s.Db.ScalarAsync<string>("""
            SELECT string_agg(epoch || ':' || n, ',' ORDER BY epoch) FROM (
              SELECT epoch, count(*) n FROM built_up b JOIN cities c ON c.id = b.city_id WHERE c.slug = 'epoch-city' GROUP BY epoch) x
            """));
    }

    [Fact]
    public async Task ARawUploadLabelledAsAFormAsCurlDataBinaryDoesIsReadAsTheFile()
    {
        await s.CityAsync("curl-city");
        var job = await s.ImportAsync("/api/cities/curl-city/layers/open-spaces",
            ImportService.FeatureCollection(ImportService.Square(67, 36.7)), "application/x-www-form-urlencoded");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ARequiredValueMissingIsReportedWithHowToGiveIt()
    {
        await s.CityAsync("noepoch-city");
        var job = await s.ImportAsync("/api/cities/noepoch-city/layers/built-up", ImportService.FeatureCollection(ImportService.Square(67, 36.7)));
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains("?epoch=", job.GetProperty("issues")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ProjectedCoordinatesReadAsLonLatAreCaughtAsOutOfRange()
    {
        await s.CityAsync("utm-city");
        var job = await s.ImportAsync("/api/cities/utm-city/layers/open-spaces",
            ImportService.FeatureCollection(ImportService.Square(420000, 4062000, 50)));
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("coordinates-out-of-range", job.GetProperty("issues")[0].GetProperty("rule").GetString());

        var fixedJob = await s.ImportAsync("/api/cities/utm-city/layers/open-spaces?crs=EPSG:32642",
            ImportService.FeatureCollection(ImportService.Square(420000, 4062000, 50)));
        Assert.Equal("succeeded", fixedJob.GetProperty("status").GetString());
        Assert.InRange(await s.Db.ScalarAsync<double>(
            "SELECT ST_Area(geom::geography) FROM open_spaces o JOIN cities c ON c.id = o.city_id WHERE c.slug = 'utm-city'"), 2495, 2505);
    }

    [Fact]
    public async Task CsvWithWktImportsFacilitiesOfAKindAndReportsTheRowOfBadWkt()
    {
        await s.CityAsync("csv-city");
        var csv = "name,wkt\nClinic A,POINT(67.1 36.7)\nClinic B,POINT(67.2\nClinic C,\"POINT(67.3 36.7)\"\n";
        var job = await s.ImportAsync("/api/cities/csv-city/layers/facilities?kind=health&mode=valid-only", Encoding.UTF8.GetBytes(csv), "text/csv");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("featuresPublished").GetInt64());
        Assert.Contains("row 3", job.GetProperty("issues")[0].GetProperty("reason").GetString());
        Assert.Equal(2, await s.Db.ScalarAsync<long>("SELECT count(*) FROM facilities f JOIN cities c ON c.id = f.city_id WHERE c.slug = 'csv-city' AND kind = 'health'"));
    }

    [Fact]
    public async Task DuplicateCodesInOneFileAreRejectedAfterTheFirst()
    {
        await s.CityAsync("dup-city");
        var body = ImportService.FeatureCollection(
            ImportService.Square(67.0, 36.7, properties: "{\"code\":\"1\"}"),
            ImportService.Square(67.1, 36.7, properties: "{\"code\":\"1\"}"),
            ImportService.Square(67.2, 36.7, properties: "{\"code\":\"2\"}"));
        var job = await s.ImportAsync("/api/cities/dup-city/layers/districts?mode=valid-only", body);
        var issue = Assert.Single(job.GetProperty("issues").EnumerateArray());
        Assert.Equal(("duplicate", 1L), (issue.GetProperty("rule").GetString(), issue.GetProperty("feature").GetInt64()));
        Assert.Equal(2, job.GetProperty("featuresPublished").GetInt64());
    }

    public static TheoryData<string, byte[], int, string> Unreadable => new()
    {
        { "an empty body", [], 400, "empty" },
        { "a broken zip", [.. "PK\x03\x04"u8, 1, 2, 3, 4, 5, 6, 7, 8, 9], 422, "zip" },
        { "binary noise", [0, 1, 2, 3, 255, 254, 0, 7, 9, 10], 415, "not a format" },
        { "truncated GeoJSON", Encoding.UTF8.GetBytes("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coord"), 422, "JSON" },
        { "JSON that is not a FeatureCollection", Encoding.UTF8.GetBytes("{\"type\":\"Point\",\"coordinates\":[1,2]}"), 422, "not a FeatureCollection" },
        { "a CSV without geometry", Encoding.UTF8.GetBytes("name,kind\na,b\n"), 422, "no geometry column" },
    };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public async Task AnUnreadableUploadIsRefusedAtOnceWithTheReasonAndNoJob(string what, byte[] body, int status, string reason)
    {
        await s.CityAsync("refuse-city");
        var jobsBefore = await s.Db.ScalarAsync<long>("SELECT count(*) FROM import_jobs");
        using var response = await s.UploadAsync("/api/cities/refuse-city/layers/open-spaces", body);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Contains(reason, problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("urn:urbanmonitor:problem:", problem.GetProperty("type").GetString());
        Assert.Equal(jobsBefore, await s.Db.ScalarAsync<long>("SELECT count(*) FROM import_jobs"));
        _ = what;
    }

    [Fact]
    public async Task UnknownCityLayerModeOrCrsAreRefusedWithTheirOwnStatus()
    {
        await s.CityAsync("ask-city");
        var body = ImportService.FeatureCollection(ImportService.Square(67, 36.7));
        Assert.Equal(HttpStatusCode.NotFound, (await s.UploadAsync("/api/cities/atlantis/layers/open-spaces", body)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await s.UploadAsync("/api/cities/ask-city/layers/pubs", body)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await s.UploadAsync("/api/cities/ask-city/layers/open-spaces?mode=some", body)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await s.UploadAsync("/api/cities/ask-city/layers/open-spaces?crs=mars", body)).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await s.UploadAsync("/api/cities/ask-city/layers/open-spaces?crs=EPSG:999999", body)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Client.GetAsync($"/api/imports/{Guid.NewGuid()}", Ct)).StatusCode);
    }

    [Fact]
    public async Task AShapefileWithAnUnknownPrjIsRefusedAsUnknownCrs()
    {
        await s.CityAsync("prj-city");
        var dir = Directory.CreateTempSubdirectory("um-prj-").FullName;
        try
        {
            var geojson = Path.Combine(dir, "in.geojson");
            await File.WriteAllBytesAsync(Path.Combine(dir, "in.geojson"), ImportService.FeatureCollection(ImportService.Square(67, 36.7)), Ct);
            var shp = Path.Combine(dir, "layer.shp");
            var r = await Repo.RunAsync("ogr2ogr", ["-f", "ESRI Shapefile", shp, geojson]);
            Assert.True(r.ExitCode == 0, r.Output);
            await File.WriteAllTextAsync(Path.Combine(dir, "layer.prj"), "PROJCS[\"Imaginary_Grid\",GEOGCS[\"GCS_Nowhere\"]]", Ct);
            var zip = Path.Combine(dir, "layer.zip");
            using (var archive = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Create))
                foreach (var ext in new[] { "shp", "shx", "dbf", "prj" })
                    System.IO.Compression.ZipFileExtensions.CreateEntryFromFile(archive, Path.Combine(dir, "layer." + ext), "layer." + ext);
            using var response = await s.UploadAsync("/api/cities/prj-city/layers/open-spaces", await File.ReadAllBytesAsync(zip, Ct), "application/zip");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
            Assert.Equal("urn:urbanmonitor:problem:unknown-crs", problem.GetProperty("type").GetString());
            Assert.Contains("Imaginary_Grid", problem.GetProperty("detail").GetString());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task AGeoPackageInUtmIsReadWithItsOwnCrsAndAMultipartUploadWorks()
    {
        await s.CityAsync("gpkg-city");
        var dir = Directory.CreateTempSubdirectory("um-gpkg-").FullName;
        try
        {
            var geojson = Path.Combine(dir, "in.geojson");
            await File.WriteAllBytesAsync(geojson, ImportService.FeatureCollection(
                ImportService.Square(420000, 4062000, 100, "{\"name\":\"Square A\",\"population\":120}"),
                ImportService.Square(420200, 4062000, 50, "{\"name\":\"Square B\",\"population\":30}")), Ct);
            var gpkg = Path.Combine(dir, "units.gpkg");
            var r = await Repo.RunAsync("ogr2ogr", ["-f", "GPKG", gpkg, geojson, "-a_srs", "EPSG:32642", "-nln", "units"]);
            Assert.True(r.ExitCode == 0, r.Output);

            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(await File.ReadAllBytesAsync(gpkg, Ct));
            file.Headers.ContentType = new MediaTypeHeaderValue("application/geopackage+sqlite3");
            form.Add(file, "file", "units.gpkg");
            using var response = await s.Client.PostAsync("/api/cities/gpkg-city/layers/population-units", form, Ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            using var accepted = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.Equal("gpkg", accepted.RootElement.GetProperty("format").GetString());
            Assert.Equal("EPSG:32642", accepted.RootElement.GetProperty("crs").GetString());
            var deadline = DateTime.UtcNow.AddMinutes(1);
            string? status;
            do
            {
                await Task.Delay(100, Ct);
                status = JsonDocument.Parse(await s.Client.GetStringAsync(response.Headers.Location, Ct)).RootElement.GetProperty("status").GetString();
            } while (status is "queued" or "running" && DateTime.UtcNow < deadline);
            Assert.Equal("succeeded", status);
            Assert.Equal(150, await s.Db.ScalarAsync<long>("SELECT sum(population) FROM population_units p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'gpkg-city'"));
            Assert.InRange(await s.Db.ScalarAsync<double>("SELECT sum(ST_Area(geom::geography)) FROM population_units p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'gpkg-city'"), 12_470, 12_530);
            Assert.Equal("units.gpkg", await s.Db.ScalarAsync<string>("SELECT file_name FROM import_jobs j JOIN cities c ON c.id = j.city_id WHERE c.slug = 'gpkg-city'"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

/// <summary>Imports of the real shared data sets: Rio's shapefile in EPSG:31983 and Nairobi's GTFS feed.</summary>
public class RealDataImportTests(ImportService s) : IClassFixture<ImportService>
{
    private static string Shared(string relative)
    {
        var dir = Repo.SharedData;
        if (dir is null && PostgisServer.OnCi) Assert.Fail("CI=true and ../shared/data is missing.");
        Assert.SkipWhen(dir is null, "../shared/data is not present beside the project.");
        return Path.Combine(dir!, relative);
    }

    [Fact]
    public async Task TheRioNeighbourhoodShapefileInEpsg31983GivesTheSameAreasAsTheGeoJson()
    {
        var shp = await File.ReadAllBytesAsync(Shared("rio/shp/limite_de_bairros.zip"), TestContext.Current.CancellationToken);
        var geojson = await File.ReadAllBytesAsync(Shared("rio/limite_de_bairros.geojson"), TestContext.Current.CancellationToken);
        await s.CityAsync("rio-shp");
        await s.CityAsync("rio-geojson");
        var fromShp = await s.ImportAsync("/api/cities/rio-shp/layers/districts", shp, "application/zip");
        Assert.True(fromShp.GetProperty("status").GetString() == "succeeded", fromShp.ToString());
        Assert.Equal("EPSG:31983", fromShp.GetProperty("crs").GetString());
        Assert.Equal(165, fromShp.GetProperty("featuresPublished").GetInt64());
        var fromJson = await s.ImportAsync("/api/cities/rio-geojson/layers/districts", geojson, "application/geo+json");
        Assert.Equal("succeeded", fromJson.GetProperty("status").GetString());

        var worst = await s.Db.ScalarAsync<double>("""
            SELECT max(abs(ST_Area(a.geom::geography) / ST_Area(b.geom::geography) - 1))
            FROM districts a JOIN cities ca ON ca.id = a.city_id AND ca.slug = 'rio-shp'
            JOIN districts b ON b.code = a.code JOIN cities cb ON cb.id = b.city_id AND cb.slug = 'rio-geojson'
            """);
        Assert.InRange(worst, 0, 0.001);
        Assert.Equal(165, await s.Db.ScalarAsync<long>("""
            SELECT count(*) FROM districts a JOIN cities ca ON ca.id = a.city_id AND ca.slug = 'rio-shp'
            JOIN districts b ON b.code = a.code JOIN cities cb ON cb.id = b.city_id AND cb.slug = 'rio-geojson'
            WHERE a.name = b.name
            """));
    }

    [Fact]
    public async Task TheNairobiGtfsFeedGives4284StopsWithDeparturesPerStop()
    {
        var gtfs = await File.ReadAllBytesAsync(Shared("nairobi/GTFS_FEED_2019.zip"), TestContext.Current.CancellationToken);
        await s.CityAsync("nairobi-gtfs");
        var job = await s.ImportAsync("/api/cities/nairobi-gtfs/layers/transit-stops?transit-mode=matatu", gtfs, "application/zip");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        Assert.Equal("gtfs", job.GetProperty("format").GetString());
        Assert.Equal(4_284, job.GetProperty("featuresPublished").GetInt64());
        const string city = "FROM transit_stops t JOIN cities c ON c.id = t.city_id AND c.slug = 'nairobi-gtfs'";
        Assert.Equal(4_284, await s.Db.ScalarAsync<long>($"SELECT count(*) {city} WHERE mode = 'matatu' AND capacity = 'low'"));
        // Stations (location_type 1) carry no stop times; almost every stop has departures once frequencies are expanded.
        Assert.Equal(11, await s.Db.ScalarAsync<long>($"SELECT count(*) {city} WHERE attributes->>'location_type' = '1' AND peak_departures = 0"));
        Assert.True(await s.Db.ScalarAsync<long>($"SELECT count(*) {city} WHERE peak_departures > 0") > 4_000);
        var peak = await s.Db.ScalarAsync<long>($"SELECT max(peak_departures) {city}");
        Assert.InRange(peak, 10, 5_000);
        Assert.True(await s.Db.ScalarAsync<long>($"SELECT min((attributes->>'departures_per_day')::int) {city} WHERE peak_departures > 0") >= 1);
    }
}

/// <summary>Bulk property import: the surveyed parcels of Mazar-e-Sharif through the import job.</summary>
public class PropertyImportTests(ImportService s) : IClassFixture<ImportService>
{
    [Fact]
    public async Task TheRealMazarParcelsImportAsSurveyedPropertiesWithCodesAndARepeatIsRefusedAsDuplicates()
    {
        var dir = Repo.SharedData;
        if (dir is null && PostgisServer.OnCi) Assert.Fail("CI=true and ../shared/data is missing.");
        Assert.SkipWhen(dir is null, "../shared/data is not present beside the project.");
        var file = await File.ReadAllBytesAsync(Path.Combine(dir!, "mazar/mazar_parcels_district1_sample.geojson"), TestContext.Current.CancellationToken);
        await s.Db.ScalarAsync<long>("WITH i AS (INSERT INTO cities (slug, code, name, country) VALUES ('mzr-import', 'MZI', 'Mazar import', 'AF') RETURNING 1) SELECT count(*) FROM i");

        var job = await s.ImportAsync("/api/cities/mzr-import/layers/properties", file, "application/geo+json");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        Assert.Equal(157, job.GetProperty("featuresPublished").GetInt64());
        // The audit log names the user who uploaded the file for each parcel the job wrote, as the job does.
        var who = job.GetProperty("requestedBy").GetString();
        Assert.False(string.IsNullOrEmpty(who) || who.StartsWith("db:", StringComparison.Ordinal), who);
        Assert.Equal(157, await s.Db.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log a JOIN cities c ON c.id = a.city_id WHERE c.slug = 'mzr-import' AND a.table_name = 'properties' AND a.action = 'insert' AND a.actor = $1",
            who!));
        Assert.Equal("surveyed", await s.Db.ScalarAsync<string>("SELECT status FROM properties WHERE code = 'MZI-1-15-22'"));
        Assert.Equal(157, await s.Db.ScalarAsync<long>("SELECT count(*) FROM properties p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'mzr-import' AND ST_IsValid(geom)"));

        // A registry is appended to, never overwritten: the same file again is refused feature by feature.
        var again = await s.ImportAsync("/api/cities/mzr-import/layers/properties", file, "application/geo+json");
        Assert.Equal("failed", again.GetProperty("status").GetString());
        Assert.Equal(157, again.GetProperty("featuresInvalid").GetInt64());
        Assert.Contains("already exists", again.GetProperty("issues")[0].GetProperty("reason").GetString());
        Assert.Equal(157, await s.Db.ScalarAsync<long>("SELECT count(*) FROM properties p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'mzr-import'"));
    }

    [Fact]
    public async Task FieldMappingNamesTheSourceAttributesOfTheCodePartsAndAnUnknownOneFailsTheJobWithNothingPublished()
    {
        await s.CityAsync("map-city");
        var body = ImportService.FeatureCollection(
            ImportService.Square(67.0, 36.7, properties: "{\"Nahia\":\"3\",\"Gozar\":\"41\",\"Plot\":\"7\",\"use\":\"residential\"}"),
            ImportService.Square(67.1, 36.7, properties: "{\"Nahia\":\"3\",\"Gozar\":\"41\",\"Plot\":\"8\",\"use\":\"commercial\"}"));
        const string inCity = "FROM properties p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'map-city'";

        // Without a mapping the code parts are not found: nothing is published.
        var unmapped = await s.ImportAsync("/api/cities/map-city/layers/properties", body);
        Assert.Equal("failed", unmapped.GetProperty("status").GetString());
        Assert.Equal(0, await s.Db.ScalarAsync<long>($"SELECT count(*) {inCity}"));

        // An attribute the file does not have: the job fails and names the file's attributes.
        var wrong = await s.ImportAsync("/api/cities/map-city/layers/properties?map.district_code=Nahia&map.block=Block&map.parcel=Plot", body);
        Assert.Equal("failed", wrong.GetProperty("status").GetString());
        Assert.Contains("no attribute 'Block'", wrong.ToString());
        Assert.Equal(0, await s.Db.ScalarAsync<long>($"SELECT count(*) {inCity}"));

        var job = await s.ImportAsync("/api/cities/map-city/layers/properties?map.district_code=Nahia&map.block=Gozar&map.parcel=Plot", body);
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        Assert.Equal(2, job.GetProperty("featuresPublished").GetInt64());
        Assert.Equal("3|41|8|commercial|surveyed", await s.Db.ScalarAsync<string>(
            $"SELECT concat_ws('|', district_code, block, parcel, attributes->>'use', status) {inCity} AND p.code LIKE '%-3-41-8'"));
        Assert.Equal(1, await s.Db.ScalarAsync<long>($"SELECT count(*) {inCity} AND p.code LIKE '%-3-41-7' AND p.code = c.code || '-3-41-7'"));
    }

    [Fact]
    public async Task ACodePartWithAHyphenIsRejected()
    {
        await s.CityAsync("part-city");
        var body = ImportService.FeatureCollection(
            ImportService.Square(67.0, 36.7, properties: "{\"district\":\"1\",\"block\":\"2-3\",\"parcel\":\"4\"}"),
            ImportService.Square(67.1, 36.7, properties: "{\"district\":\"1\",\"block\":\"2\",\"parcel\":\"5\"}"));
        var job = await s.ImportAsync("/api/cities/part-city/layers/properties?mode=valid-only", body);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(1, job.GetProperty("featuresPublished").GetInt64());
        Assert.Contains("without hyphen", job.GetProperty("issues")[0].GetProperty("reason").GetString());
    }
}

public class ImportCancellationTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task AKilledImportLeavesNothingVisibleAndTheSameFileCanBeRerun()
    {
        var ct = TestContext.Current.CancellationToken;
        await db.ScalarAsync<long>("WITH i AS (INSERT INTO cities (slug, code, name, country) VALUES ('kill-city', 'KIL', 'Kill', 'ZZ') RETURNING 1) SELECT count(*) FROM i");
        var file = Path.GetTempFileName();
        try
        {
            var city = new UrbanMonitor.Domain.Synthetic.SyntheticCity(60_000, 9);
            var geo = new System.Text.Json.JsonSerializerOptions();
            geo.Converters.Add(new NetTopologySuite.IO.Converters.GeoJsonConverterFactory());
            await using (var w = new StreamWriter(file))
            {
                await w.WriteAsync("{\"type\":\"FeatureCollection\",\"features\":[");
                var first = true;
                foreach (var p in city.Parcels())
                {
                    if (!first) await w.WriteAsync(',');
                    first = false;
                    await w.WriteAsync($"{{\"type\":\"Feature\",\"properties\":{{\"district\":\"{p.District}\",\"block\":\"{p.Block}\",\"parcel\":\"{p.Parcel}\"}},\"geometry\":{System.Text.Json.JsonSerializer.Serialize<NetTopologySuite.Geometries.Geometry>(p.Geometry, geo)}}}");
                }
                await w.WriteAsync("]}");
            }
            var runner = new UrbanMonitor.Database.Imports.ImportRunner(db.DataSource);
            var request = new UrbanMonitor.Database.Imports.ImportRequest("kill-city", "properties", RequestedBy: "cli:surveyor");
            var job = await runner.PrepareAsync(request, file, ct);
            using var kill = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(job, null, kill.Token));
            Assert.Equal("failed", await db.ScalarAsync<string>("SELECT status FROM import_jobs WHERE id = $1", job.JobId));
            Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM import_staging"));
            Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM properties"));

            // 60,000 parcels into a city with none: loaded outside the registry by two connections, indexed, and attached
            // as the city's own partition of properties and of property_versions.
            var tilesBefore = await db.ScalarAsync<long>("SELECT coalesce(max(id), 0) FROM tiles_pending");
            var again = await runner.PrepareAsync(request, file, ct);
            await runner.RunAsync(again, null, ct);
            Assert.Equal("succeeded", await db.ScalarAsync<string>("SELECT status FROM import_jobs WHERE id = $1", again.JobId));
            var cityId = await db.ScalarAsync<int>("SELECT id FROM cities WHERE slug = 'kill-city'");
            Assert.Equal(60_000, await db.ScalarAsync<long>($"SELECT count(*) FROM ONLY properties_city_{cityId}"));
            Assert.Equal(60_000, await db.ScalarAsync<long>($"SELECT count(*) FROM ONLY property_versions_city_{cityId} WHERE version = 1 AND valid_to IS NULL"));
            Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM properties_shared"));
            Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname LIKE 'import_load%'"));
            // Each of the parents' indexes has its valid index on the partition, each key and foreign key its validated
            // constraint (a partition that lacked one would have had it built by the attach: none is missing or extra).
            const string Indexes = """
                SELECT count(*) FROM pg_index pi
                JOIN pg_inherits h ON h.inhparent = pi.indexrelid
                JOIN pg_index ci ON ci.indexrelid = h.inhrelid AND ci.indisvalid
                WHERE pi.indrelid = $1::regclass AND ci.indrelid = $2::regclass
                """;
            const string Constraints = """
                SELECT string_agg(c, '; ' ORDER BY c) FROM (
                    SELECT DISTINCT contype::text || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated AS c
                    FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'c', 'f')
                      AND NOT coalesce((SELECT relispartition FROM pg_class WHERE oid = confrelid), false)) x
                """;
            foreach (var (parent, partition) in new[] { ("properties", $"properties_city_{cityId}"), ("property_versions", $"property_versions_city_{cityId}") })
            {
                var parentIndexes = await db.ScalarAsync<long>("SELECT count(*) FROM pg_index WHERE indrelid = $1::regclass", parent);
                Assert.True(parentIndexes >= 5);
                Assert.Equal(parentIndexes, await db.ScalarAsync<long>(Indexes, parent, partition));
                Assert.Equal(parentIndexes, await db.ScalarAsync<long>("SELECT count(*) FROM pg_index WHERE indrelid = $1::regclass", partition));
                Assert.Equal(await db.ScalarAsync<string>(Constraints, parent), await db.ScalarAsync<string>(Constraints, partition));
            }
            // The parents' statement triggers do not fire for rows loaded into a table that then becomes a partition:
            // the publish writes what they write. The audit log's one summary entry per table names who asked and the job.
            foreach (var table in new[] { "properties", "property_versions" })
                Assert.Equal(1, await db.ScalarAsync<long>(
                    "SELECT count(*) FROM audit_log WHERE table_name = $2 AND action = 'bulk-insert' AND actor = 'cli:surveyor' AND row_key ->> 'import_job' = $1 AND (after ->> 'rows')::int = 60000",
                    again.JobId.ToString(), table));
            var bulkTiles = await db.ScalarAsync<string>("SELECT string_agg(new_boxes::text, ';') FROM tiles_pending WHERE layer = 'properties' AND id > $1", tilesBefore);
            Assert.NotNull(bulkTiles);
            // The attached partition's GiST index answers a window query as a plain scan does.
            const string Box = "ST_Expand((SELECT ST_Centroid(ST_Extent(geom)) FROM properties), 0.01)";
            var byIndex = await db.ScalarAsync<long>($"SELECT count(*) FROM properties WHERE geom && {Box}");
            Assert.True(byIndex > 0);
            Assert.Equal(await db.ScalarAsync<long>($"SELECT count(*) FROM properties WHERE CASE WHEN geom && {Box} THEN true END"), byIndex);

            // The same file into a second city row by row (as into a city that has parcels): both publish the same
            // parcels, versions, tile geometries, dirty districts and changed tile extent.
            await db.ScalarAsync<long>("WITH i AS (INSERT INTO cities (slug, code, name, country) VALUES ('kill-two', 'KI2', 'Kill two', 'ZZ') RETURNING 1) SELECT count(*) FROM i");
            tilesBefore = await db.ScalarAsync<long>("SELECT coalesce(max(id), 0) FROM tiles_pending");
            var rowByRow = new UrbanMonitor.Database.Imports.ImportRunner(db.DataSource) { OwnPartitionFrom = long.MaxValue };
            var ordinary = await rowByRow.PrepareAsync(request with { CitySlug = "kill-two" }, file, ct);
            await rowByRow.RunAsync(ordinary, null, ct);
            Assert.Equal("succeeded", await db.ScalarAsync<string>("SELECT status FROM import_jobs WHERE id = $1", ordinary.JobId));
            Assert.Equal(60_000, await db.ScalarAsync<long>("SELECT count(*) FROM properties_shared"));
            Assert.Equal(bulkTiles, await db.ScalarAsync<string>("SELECT string_agg(new_boxes::text, ';') FROM tiles_pending WHERE layer = 'properties' AND id > $1", tilesBefore));
            Assert.Equal(0, await db.ScalarAsync<long>("""
                SELECT count(*) FROM ((SELECT district_code FROM indicator_dirty d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'kill-city' AND layer = 'properties'
                                       EXCEPT SELECT district_code FROM indicator_dirty d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'kill-two' AND layer = 'properties')
                                      UNION ALL
                                      (SELECT district_code FROM indicator_dirty d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'kill-two' AND layer = 'properties'
                                       EXCEPT SELECT district_code FROM indicator_dirty d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'kill-city' AND layer = 'properties')) x
                """));
            Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM indicator_dirty d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'kill-city'") > 0);
            const string Published = """
                SELECT substr(p.code, 5), p.district_code, p.block, p.parcel, p.status, p.version, p.attributes, ST_AsEWKB(p.geom), ST_AsEWKB(p.geom3857),
                       v.version, v.status, v.code = p.code, v.valid_to, v.reason, ST_AsEWKB(v.geom)
                FROM properties p JOIN cities c ON c.id = p.city_id
                JOIN property_versions v ON v.city_id = p.city_id AND v.property_id = p.id
                """;
            Assert.Equal(0, await db.ScalarAsync<long>($"""
                SELECT count(*) FROM (({Published} WHERE c.slug = 'kill-city' EXCEPT ALL {Published} WHERE c.slug = 'kill-two')
                                UNION ALL ({Published} WHERE c.slug = 'kill-two' EXCEPT ALL {Published} WHERE c.slug = 'kill-city')) d
                """));
            Assert.Equal(120_000, await db.ScalarAsync<long>("SELECT count(*) FROM property_versions"));
            // Parcel ids come from the one sequence whichever way they were published.
            Assert.Equal(120_000, await db.ScalarAsync<long>("SELECT count(DISTINCT id) FROM properties"));

            // A process that died during a bulk publish left its load tables: the start-up sweep drops them with the job.
            var dead = await runner.PrepareAsync(request with { CitySlug = "kill-two" }, file, ct);
            dead.Source.Dispose();
            await db.ScalarAsync<long>("WITH u AS (UPDATE import_jobs SET status = 'running' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", dead.JobId);
            await using (var leftover = db.DataSource.CreateCommand($"CREATE TABLE import_load_{dead.JobId:N}_p (LIKE properties)"))
                await leftover.ExecuteNonQueryAsync(ct);
            // And a table left by a job that ended (its clean-up failed): swept too, though its job is not interrupted.
            await using (var leftover = db.DataSource.CreateCommand($"CREATE TABLE import_load_{again.JobId:N}_v (LIKE property_versions)"))
                await leftover.ExecuteNonQueryAsync(ct);
            Assert.Equal(1, await runner.FailInterruptedAsync(ct));
            Assert.Equal("failed", await db.ScalarAsync<string>("SELECT status FROM import_jobs WHERE id = $1", dead.JobId));
            Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname LIKE 'import_load%'"));

            // A long read of the shared partition (a big export) holds the attach up: it waits a short while, tries again,
            // and at last gives up with nothing published, rather than stall every other city's writes behind it.
            await db.ScalarAsync<long>("WITH i AS (INSERT INTO cities (slug, code, name, country) VALUES ('kill-busy', 'KIB', 'Kill busy', 'ZZ') RETURNING 1) SELECT count(*) FROM i");
            var impatient = new UrbanMonitor.Database.Imports.ImportRunner(db.DataSource) { AttachAttempts = 2, AttachLockWait = TimeSpan.FromMilliseconds(200) };
            var busy = await impatient.PrepareAsync(request with { CitySlug = "kill-busy" }, file, ct);
            await using (var reader = await db.DataSource.OpenConnectionAsync(ct))
            {
                await using var longRead = await reader.BeginTransactionAsync(ct);
                await using (var read = new Npgsql.NpgsqlCommand("SELECT count(*) FROM properties_shared", reader, longRead))
                    await read.ExecuteScalarAsync(ct);
                await impatient.RunAsync(busy, null, ct);
            }
            Assert.Equal("failed", await db.ScalarAsync<string>("SELECT status FROM import_jobs WHERE id = $1", busy.JobId));
            Assert.Contains("stayed busy", await db.ScalarAsync<string>("SELECT error FROM import_jobs WHERE id = $1", busy.JobId));
            Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM properties p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'kill-busy'"));
            Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname LIKE 'import_load%'"));

            // Again, and the long read ends while the attach waits: a later try attaches. A GIS team follows the change
            // feed all along. The versions carry the position of the publishing transaction, open from the load to the
            // attach, so the changes other cities commit meanwhile (one during the load, one while the attach waits) are
            // held back behind it; once it commits, the team sees every parcel of the city, then the other changes.
            await using var api = new ApiFactory(db.ConnectionString);
            using var client = api.CreateClient();
            var feed = new FeedFollower(client);
            Assert.Equal(120_000, (await feed.UntilAsync(120_000)).Count);
            var patient = new UrbanMonitor.Database.Imports.ImportRunner(db.DataSource) { AttachLockWait = TimeSpan.FromMilliseconds(200) };
            var later = await patient.PrepareAsync(request with { CitySlug = "kill-busy" }, file, ct);
            Task publish;
            long[] others = [await db.ScalarAsync<long>("SELECT min(p.id) FROM properties p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'kill-city'"),
                             await db.ScalarAsync<long>("SELECT max(p.id) FROM properties p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'kill-city'")];
            await using (var reader = await db.DataSource.OpenConnectionAsync(ct))
            {
                await using var longRead = await reader.BeginTransactionAsync(ct);
                await using (var read = new Npgsql.NpgsqlCommand("SELECT count(*) FROM properties_shared", reader, longRead))
                    await read.ExecuteScalarAsync(ct);
                publish = patient.RunAsync(later, null, ct);
                while (await db.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname LIKE 'import_load%\\_v'") == 0)
                {
                    Assert.False(publish.IsCompleted, "the publish loads its tables");
                    await Task.Delay(10, ct);
                }
                await FeedFollower.NewVersionAsync(db.DataSource, others[0]);
                Assert.Empty(await feed.PollAsync()); // during the load: held back behind the publish
                while (await db.ScalarAsync<long>(
                           "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%ATTACH PARTITION%'") == 0)
                {
                    Assert.False(publish.IsCompleted, "the attach waits for the long read");
                    await Task.Delay(50, ct);
                }
                await FeedFollower.NewVersionAsync(db.DataSource, others[1]);
                // Held back behind the publish, through tries of the attach given up and waits between them.
                for (var waited = System.Diagnostics.Stopwatch.StartNew(); waited.Elapsed < patient.AttachLockWait * 4;)
                {
                    Assert.Empty(await feed.PollAsync());
                    await Task.Delay(50, ct);
                }
                await longRead.CommitAsync(ct);
            }
            await publish;
            Assert.Equal("succeeded", await db.ScalarAsync<string>("SELECT status FROM import_jobs WHERE id = $1", later.JobId));
            Assert.Equal(60_000, await db.ScalarAsync<long>(
                "SELECT count(*) FROM ONLY properties_city_" + await db.ScalarAsync<int>("SELECT id FROM cities WHERE slug = 'kill-busy'")));
            var followed = await feed.UntilAsync(60_002);
            Assert.Equal(60_002, followed.Count);
            Assert.All(followed.SkipLast(2), c =>
            {
                Assert.Equal("created", c.GetProperty("operation").GetString());
                Assert.Equal("kill-busy", c.GetProperty("feature").GetProperty("properties").GetProperty("city").GetString());
            });
            Assert.Equal(others, followed.TakeLast(2).Select(c => c.GetProperty("id").GetInt64()));
            Assert.All(followed.TakeLast(2), c => Assert.Equal(2, c.GetProperty("version").GetInt32()));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
