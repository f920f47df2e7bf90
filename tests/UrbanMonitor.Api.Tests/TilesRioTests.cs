using System.Net;
using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;
using UrbanMonitor.Domain.Tiles;
using SkiaSharp;

namespace UrbanMonitor.Api.Tests;

/// <summary>The real demo data (../shared/data) in its own database; empty when the data is missing.</summary>
public sealed class RealDataTilesService : IAsyncLifetime
{
    public TestDatabase Db { get; } = new();
    public ApiFactory Api { get; private set; } = null!;
    public bool Loaded { get; private set; }

    public async ValueTask InitializeAsync()
    {
        await Db.InitializeAsync();
        if (await PostgisServer.UnavailableReasonAsync() is not null || !DemoLoader.HasRealData(Repo.SharedData)) return;
        await new DemoLoader(Db.DataSource).LoadRealAsync(Repo.SharedData!);
        Api = new ApiFactory(Db.ConnectionString);
        Loaded = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null) await Api.DisposeAsync();
        await Db.DisposeAsync();
    }
}

public class TilesRioTests(RealDataTilesService service) : IClassFixture<RealDataTilesService>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Rocinha, seen from above at z14: tile 14/6223/9267 (43.264°W-43.242°W, 22.999°S-22.979°S).
    private static readonly TileAddress Rocinha = TileMath.TileAt(-43.2479, -22.9880, 14);

    private void RequireData()
    {
        _ = service.Db.ConnectionString; // skips when PostGIS is unreachable (not on CI)
        if (!service.Loaded)
        {
            Assert.False(PostgisServer.OnCi, "CI=true and the real data in ../shared/data (or URBANMONITOR_DATA) is missing.");
            Assert.Skip("The real data sets (../shared/data) are not here.");
        }
    }

    [Fact]
    public async Task ARioZoom14SettlementsTileOverRocinhaHoldsRocinhaAndItsNeighbouringFavelas()
    {
        RequireData();
        using var client = service.Api.CreateClient();
        var body = await client.GetByteArrayAsync($"/tiles/settlements/{Rocinha}.mvt", Ct);
        var layer = Assert.Single(MvtText.Decode(body));
        Assert.Equal("settlements", layer.Name);
        var names = layer.Features.Select(f => f.Properties["name"].Trim('"')).ToHashSet();
        foreach (var expected in new[] { "Rocinha", "Matinha (RA - Rocinha)", "Vidigal", "Vila Parque da Cidade" })
            Assert.Contains(expected, names);
        var rocinha = layer.Features.Single(f => f.Properties["name"] == "\"Rocinha\"");
        Assert.Equal("69156", rocinha.Properties["population"]);
        Golden.Check("tile-rio-settlements-z14-rocinha.txt", $"GET /tiles/settlements/{Rocinha}.mvt (Rio de Janeiro, Data.Rio favelas)\n"
            + string.Join("\n", layer.Features.OrderBy(f => f.Id).Select(f => $"{f.Properties["code"]} {f.Properties["name"]} population={f.Properties.GetValueOrDefault("population", "null")}")) + "\n");
    }

    [Fact]
    public async Task ARioPngTileOverRocinhaShowsTheFavelasInTheirStyleColour()
    {
        RequireData();
        using var client = service.Api.CreateClient();
        using var response = await client.GetAsync($"/tiles/settlements/{Rocinha}.png", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var bitmap = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(256, bitmap.Width);
        // settlements.json fills with #e34a33 at 35 % opacity over transparency: reddish pixels.
        var reddish = bitmap.Pixels.Count(p => p.Alpha > 40 && p.Red > p.Green + 40 && p.Red > p.Blue + 40);
        Assert.True(reddish > 2_000, $"only {reddish} reddish pixels: the favelas are not drawn");
    }
}
