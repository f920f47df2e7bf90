using UrbanMonitor.Api.Audit;
using UrbanMonitor.Api.Auth;
using UrbanMonitor.Api.Addresses;
using UrbanMonitor.Api.Cities;
using UrbanMonitor.Api.Displays;
using UrbanMonitor.Api.Disputes;
using UrbanMonitor.Api.Documents;
using UrbanMonitor.Api.Features;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Imports;
using UrbanMonitor.Api.Indicators;
using UrbanMonitor.Api.Registration;
using UrbanMonitor.Api.Sampling;
using UrbanMonitor.Api.Settlements;
using UrbanMonitor.Api.Tiles;
using UrbanMonitor.Api.Transactions;
using UrbanMonitor.Api.Accounts;
using UrbanMonitor.Api.Viewer;

var builder = WebApplication.CreateBuilder(args);
builder.AddUrbanMonitorHosting();
builder.AddUrbanMonitorAuth();
builder.AddImports();
builder.AddFeatures();
builder.AddTiles();
builder.AddRegistration();
builder.AddDocuments();
builder.AddDisplays();
builder.AddAudit();
builder.AddIndicators();
builder.AddViewer();

var app = builder.Build();
app.UseUrbanMonitorHosting();
app.MapHealthApi();
app.MapAuthApi();
app.MapCitiesApi();
app.MapImportsApi();
app.MapFeaturesApi();
app.MapSettlementsApi();
app.MapIndicatorsApi();
app.MapSamplingApi();
app.MapTilesApi();
app.MapRegistrationApi();
app.MapAddressesApi();
app.MapDocumentsApi();
app.MapTransactionsApi();
app.MapDisputesApi();
app.MapDisplaysApi();
app.MapUsersApi();
app.MapAuditApi();
app.MapViewer();
app.MapApiDocs();

app.Run();

/// <summary>The service's entry point; public so integration tests can host it.</summary>
public partial class Program;
