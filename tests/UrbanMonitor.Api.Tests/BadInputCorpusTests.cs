using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Audit;
using UrbanMonitor.Database.Backup;
using static UrbanMonitor.Api.Tests.RegistrationTestKit;

namespace UrbanMonitor.Api.Tests;

/// <summary>Issue 11: every input of <c>Corpus/bad-inputs.json</c> gets a 4xx RFC 9457 problem with a reason (never a
/// 5xx), and leaves the database exactly as it was (every table's rows and digest compared before and after).</summary>
public class BadInputCorpusTests(MazarRegistrationService service) : IClassFixture<MazarRegistrationService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly string CorpusPath = Path.Combine(Repo.Root, "tests", "UrbanMonitor.Api.Tests", "Corpus", "bad-inputs.json");
    private static readonly JsonArray Cases = JsonNode.Parse(File.ReadAllText(CorpusPath))!["cases"]!.AsArray();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases) data.Add((string)c!["name"]!);
        return data;
    }

    [Fact]
    public void TheCorpusHoldsAtLeastFiftyDistinctBadInputs()
    {
        var names = Cases.Select(c => (string)c!["name"]!).ToList();
        Assert.True(names.Count >= 50, $"{names.Count} cases");
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(Cases, c => Assert.False(string.IsNullOrWhiteSpace((string?)c!["why"])));
        Assert.All(Cases, c => Assert.False(string.IsNullOrWhiteSpace((string?)c!["expect"]), (string?)c!["name"]));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task IsAnsweredWithAClearFourHundredAndChangesNothing(string name)
    {
        service.Require();
        var c = Cases.Single(x => (string)x!["name"]! == name)!;
        // One free spot for every case: none of them may write anything there.
        var spot = _spot ??= service.FreeSpot();
        var id = await service.Db.ScalarAsync<long>("SELECT min(id) FROM properties");
        string Fill(string s) => s
            .Replace("{square}", Square(spot), StringComparison.Ordinal)
            .Replace("{X+}", (spot.X + 0.0001).ToString("R", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{Y+}", (spot.Y + 0.0001).ToString("R", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{X}", spot.X.ToString("R", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{Y}", spot.Y.ToString("R", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{id}", id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

        byte[]? body = c["generate"] is { } g ? Generate((string)g!, spot)
            : c["bodyBase64"] is { } b64 ? Convert.FromBase64String((string)b64!)
            : c["body"] is { } text ? Encoding.UTF8.GetBytes(Fill((string)text!))
            : null;
        var path = Fill((string)c["path"]!);
        using var request = new HttpRequestMessage(new HttpMethod((string)c["method"]!), path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (c["contentType"] is { } type) request.Content.Headers.ContentType = new MediaTypeHeaderValue((string)type!);
        }
        if (c["ifMatch"] is { } ifMatch) request.Headers.TryAddWithoutValidation("If-Match", (string)ifMatch!);

        var before = await DigestAsync();
        var token = c["role"] is { } role ? TestTokens.For((string)role!)
            : path.StartsWith("/api/cities/", StringComparison.Ordinal) ? TestTokens.For("admin") : Officer;
        using var client = service.Client(token);
        using var response = await client.SendAsync(request, Ct);
        var answer = await response.Content.ReadAsStringAsync(Ct);
        var status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"{name} ({c["why"]}): expected a 4xx, got {status}: {Shorten(answer)}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(answer).RootElement;
        Assert.Equal("urn:urbanmonitor:problem:" + (string)c["expect"]!, problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), $"{name}: the problem gives no reason: {answer}");
        if (c["expectLocation"] is not null)
            Assert.StartsWith("POINT", problem.GetProperty("location").GetString());
        Assert.Equal(before, await DigestAsync());
    }

    private static (double X, double Y)? _spot;

    private static string Shorten(string s) => s.Length > 600 ? s[..600] + "…" : s;

    private async Task<IReadOnlyList<Backups.TableDigest>> DigestAsync()
    {
        await AuditLog.SealAsync(service.Db.DataSource, Ct); // the background sealer only adds seals; settle them first
        await using var conn = await service.Db.DataSource.OpenConnectionAsync(Ct);
        // Derived tables that background services or computations keep current (indicator results, tile change queue, the
        // street graphs that 11.2.1 builds on first use) are left out.
        return await Backups.DigestAsync(conn, null, Ct, ["indicator_results", "indicator_dirty", "tiles_pending", "street_graphs", "street_graph_nodes", "street_graph_edges"]);
    }

    private static string Feature(string geometry, string extra = "") =>
        "{\"type\":\"Feature\",\"geometry\":" + geometry + ",\"properties\":{\"city\":\"mazar-e-sharif\",\"district\":\"1\",\"block\":\"9001\",\"parcel\":\"1\"" + extra + "}}";

    private static byte[] Zip(params (string Name, Func<Stream, Task>? Write, byte[] Bytes)[] entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (entryName, write, bytes) in entries)
            {
                using var s = zip.CreateEntry(entryName, CompressionLevel.Optimal).Open();
                if (write is not null) write(s).GetAwaiter().GetResult();
                else s.Write(bytes);
            }
        return memory.ToArray();
    }

    /// <summary>Bodies too large to keep in the corpus file, built the same way every run.</summary>
    private static byte[] Generate(string kind, (double X, double Y) spot)
    {
        string Circle(int n, double radiusM)
        {
            var sb = new StringBuilder("{\"type\":\"Polygon\",\"coordinates\":[[");
            for (var i = 0; i <= n; i++)
            {
                var a = 2 * Math.PI * (i % n) / n;
                if (i > 0) sb.Append(',');
                sb.Append(CultureInfo.InvariantCulture, $"[{spot.X + radiusM * Math.Cos(a) * DegLon:R},{spot.Y + radiusM * Math.Sin(a) * DegLat:R}]");
            }
            return sb.Append("]]}").ToString();
        }
        var shp = new byte[100];
        return kind switch
        {
            "deep-nesting" => Encoding.UTF8.GetBytes(Feature(Square(spot), ",\"attributes\":" + string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000))),
            "many-vertices" => Encoding.UTF8.GetBytes(Feature(Circle(300_000, 8))),
            "long-name" => Encoding.UTF8.GetBytes(Feature(Square(spot), ",\"rights\":[{\"kind\":\"occupancy-certificate\",\"share\":1,\"party\":{\"kind\":\"person\",\"name\":\"" + new string('ا', 100_000) + "\"}}]")),
            "large-body" => Encoding.UTF8.GetBytes(Feature(Square(spot), ",\"attributes\":{\"note\":\"" + new string('x', 40 << 20) + "\"}")),
            "many-features" => Encoding.UTF8.GetBytes("{\"type\":\"FeatureCollection\",\"features\":[" + string.Join(',', Enumerable.Repeat(Feature(Square(spot)), 5000)) + "]}"),
            "zip-traversal" => Zip(("../../evil/layer.shp", null, shp), ("../../evil/layer.shx", null, shp), ("../../evil/layer.dbf", null, shp)),
            "zip-bomb" => Zip(("layer.shp", async s => { var zeros = new byte[1 << 20]; for (var i = 0; i < 400; i++) await s.WriteAsync(zeros); }, []),
                              ("layer.shx", null, shp), ("layer.dbf", null, shp)),
            "zip-missing-dbf" => Zip(("layer.shp", null, shp), ("layer.shx", null, shp)),
            "zip-no-layer" => Zip(("readme.txt", null, "no layer here"u8.ToArray())),
            _ => throw new ArgumentException("unknown generator " + kind),
        };
    }
}
