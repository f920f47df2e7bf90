using UrbanMonitor.Api.Cities;
using UrbanMonitor.Api.Features;
using UrbanMonitor.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddUrbanMonitorHosting();

var app = builder.Build();
app.UseUrbanMonitorHosting();
app.MapHealthApi();
app.MapCitiesApi();
app.MapFeaturesApi();
app.MapApiDocs();

app.Run();

/// <summary>The service's entry point; public so integration tests can host it.</summary>
public partial class Program;
