using UrbanMonitor.Api.Auth;
using UrbanMonitor.Api.Cities;
using UrbanMonitor.Api.Features;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Imports;
using UrbanMonitor.Api.Registration;

var builder = WebApplication.CreateBuilder(args);
builder.AddUrbanMonitorHosting();
builder.AddUrbanMonitorAuth();
builder.AddImports();
builder.AddRegistration();

var app = builder.Build();
app.UseUrbanMonitorHosting();
app.MapHealthApi();
app.MapAuthApi();
app.MapCitiesApi();
app.MapImportsApi();
app.MapFeaturesApi();
app.MapRegistrationApi();
app.MapApiDocs();

app.Run();

/// <summary>The service's entry point; public so integration tests can host it.</summary>
public partial class Program;
