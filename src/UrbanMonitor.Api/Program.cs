using UrbanMonitor.Api.Cities;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Tiles;

var builder = WebApplication.CreateBuilder(args);
builder.AddUrbanMonitorHosting();
builder.AddTiles();

var app = builder.Build();
app.UseUrbanMonitorHosting();
app.MapHealthApi();
app.MapCitiesApi();
app.MapTilesApi();
app.MapApiDocs();

app.Run();

/// <summary>The service's entry point; public so integration tests can host it.</summary>
public partial class Program;
