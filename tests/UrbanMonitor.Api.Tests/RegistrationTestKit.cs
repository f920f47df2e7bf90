using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// The real demo data (../shared/data: the 157 surveyed Mazar parcels in district 1) in a class's own database, the
/// service on it, and free spots in Mazar district 1 (at least 40 m from every parcel and the district boundary)
/// where tests draw their own parcels. Skips locally without the data; fails on CI.
/// </summary>
public sealed class MazarRegistrationService : IAsyncLifetime
{
    public TestDatabase Db { get; } = new();
    public ApiFactory Api { get; private set; } = null!;
    public string? SkipReason { get; private set; }
    public string DataDir { get; private set; } = "";
    private IReadOnlyList<(double X, double Y)> _spots = [];
    private int _nextSpot = -1;

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        var dir = Repo.SharedData;
        if (dir is null || !DemoLoader.HasRealData(dir))
        {
            SkipReason = "../shared/data is not present beside the project.";
            return;
        }
        DataDir = dir;
        _ = Db.ConnectionString; // skips when PostGIS is unreachable locally
        await new DemoLoader(Db.DataSource).LoadRealAsync(dir);
        Api = new ApiFactory(Db.ConnectionString);

        // Free spots: an area query that may take longer than the default 30 s on a loaded shared machine.
        await using var cmd = Db.DataSource.CreateCommand("""
            WITH d AS (
                SELECT ST_Buffer(d.geom::geography, -40)::geometry AS g
                FROM districts d JOIN cities c ON c.id = d.city_id
                WHERE c.slug = 'mazar-e-sharif' AND d.code = '1'
            ), taken AS (
                SELECT ST_Buffer(ST_Union(p.geom)::geography, 40)::geometry AS g
                FROM properties p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'mazar-e-sharif'
            ), cells AS (
                SELECT ST_Centroid((ST_SquareGrid(0.001, d.g)).geom) AS pt FROM d
            )
            SELECT ST_X(cells.pt), ST_Y(cells.pt)
            FROM cells, d, taken
            WHERE ST_Contains(d.g, cells.pt) AND NOT ST_Intersects(taken.g, cells.pt)
            ORDER BY 2, 1
            LIMIT 60
            """);
        cmd.CommandTimeout = 300;
        await using var reader = await cmd.ExecuteReaderAsync();
        var spots = new List<(double, double)>();
        while (await reader.ReadAsync()) spots.Add((reader.GetDouble(0), reader.GetDouble(1)));
        _spots = spots;
        await reader.DisposeAsync();

        // Mazar district 2 has no parcels: any point well inside it is free.
        await using var inTwo = Db.DataSource.CreateCommand("""
            SELECT ST_X(p), ST_Y(p) FROM (
                SELECT ST_PointOnSurface(ST_Buffer(d.geom::geography, -40)::geometry) AS p
                FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'mazar-e-sharif' AND d.code = '2') x
            """);
        await using var two = await inTwo.ExecuteReaderAsync();
        await two.ReadAsync();
        SpotInDistrict2 = (two.GetDouble(0), two.GetDouble(1));
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null) await Api.DisposeAsync();
        await Db.DisposeAsync();
    }

    /// <summary>Skips locally when the real data is missing; fails on CI.</summary>
    public void Require()
    {
        if (SkipReason is not null && PostgisServer.OnCi) Assert.Fail("CI=true and " + SkipReason);
        Assert.SkipWhen(SkipReason is not null, SkipReason ?? "");
    }

    /// <summary>A free place well inside Mazar district 2 (which has no parcels).</summary>
    public (double X, double Y) SpotInDistrict2 { get; private set; }

    /// <summary>A place in Mazar district 1 that no other test uses, far from every parcel.</summary>
    public (double X, double Y) FreeSpot()
    {
        var i = Interlocked.Increment(ref _nextSpot);
        Assert.True(i < _spots.Count, $"Only {_spots.Count} free spots in Mazar district 1.");
        return _spots[i];
    }

    public HttpClient Client(string? token = null)
    {
        var client = Api.CreateClient();
        return token is null ? client : client.WithToken(token);
    }

    /// <summary>Rows in the registration tables, to show a refused request changed nothing.</summary>
    public async Task<string> CountsAsync() => await Db.ScalarAsync<string>("""
        SELECT concat_ws(',', (SELECT count(*) FROM properties), (SELECT count(*) FROM property_versions),
                              (SELECT count(*) FROM parties), (SELECT count(*) FROM rights), (SELECT count(*) FROM idempotency_keys),
                              (SELECT sum(version) FROM properties))
        """);
}

public static class RegistrationTestKit
{
    public const double DegLat = 1 / 111_320.0;
    public static readonly double DegLon = 1 / (111_320.0 * Math.Cos(36.7 * Math.PI / 180));

    public static string Officer { get; } = TestTokens.For("land-officer", "mazar-e-sharif:1");

    /// <summary>A square of <paramref name="side"/> metres with its south-west corner at (x, y) + offset metres, as GeoJSON.</summary>
    public static string Square((double X, double Y) at, double side = 15, double east = 0, double north = 0)
    {
        var x0 = at.X + east * DegLon;
        var y0 = at.Y + north * DegLat;
        var x1 = x0 + side * DegLon;
        var y1 = y0 + side * DegLat;
        return Polygon((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0));
    }

    /// <summary>A bow-tie (self-intersecting ring) of <paramref name="side"/> metres at (x, y); it crosses itself at its centre.</summary>
    public static (string Geometry, double Cx, double Cy) BowTie((double X, double Y) at, double side = 20)
    {
        var x1 = at.X + side * DegLon;
        var y1 = at.Y + side * DegLat;
        return (Polygon((at.X, at.Y), (x1, y1), (x1, at.Y), (at.X, y1), (at.X, at.Y)), (at.X + x1) / 2, (at.Y + y1) / 2);
    }

    public static string Polygon(params (double X, double Y)[] ring) =>
        "{\"type\":\"Polygon\",\"coordinates\":[[" +
        string.Join(",", ring.Select(p => string.Create(CultureInfo.InvariantCulture, $"[{p.X:R},{p.Y:R}]"))) + "]]}";

    /// <summary>A registration body: a Feature with the geometry (GeoJSON text) and the code parts.</summary>
    public static StringContent Feature(string geometry, string district, string block, string parcel,
        string city = "mazar-e-sharif", object? rights = null, string? reason = null, object? attributes = null)
    {
        var properties = new JsonObject
        {
            ["city"] = city, ["district"] = district, ["block"] = block, ["parcel"] = parcel,
        };
        if (rights is not null) properties["rights"] = JsonSerializer.SerializeToNode(rights);
        if (reason is not null) properties["reason"] = reason;
        if (attributes is not null) properties["attributes"] = JsonSerializer.SerializeToNode(attributes);
        var feature = new JsonObject { ["type"] = "Feature", ["geometry"] = JsonNode.Parse(geometry), ["properties"] = properties };
        return new StringContent(feature.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/geo+json"));
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();

    /// <summary>Asserts an RFC 9457 problem of this status and type; returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, int status, string type)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == (int)response.StatusCode, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal("urn:urbanmonitor:problem:" + type, json.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("detail").GetString()));
        return json;
    }

    public static async Task<HttpResponseMessage> PutAsync(HttpClient client, string location, StringContent body, string? ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, location) { Content = body };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
