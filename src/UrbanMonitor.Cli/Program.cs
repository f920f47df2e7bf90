using Spectre.Console.Cli;
using UrbanMonitor.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("urbanmonitor");
    config.AddCommand<MigrateCommand>("migrate")
        .WithDescription("Create the database if needed and apply pending migrations.");
    config.AddCommand<DemoCommand>("demo")
        .WithDescription("Load the demo cities from ../shared/data, or the generated synthetic city when that is missing.");
    config.AddCommand<ImportCommand>("import")
        .WithDescription("Import a layer file into a city as an import job (validated, published atomically).")
        .WithExample("import", "--city", "rio-de-janeiro", "--layer", "districts", "../shared/data/rio/shp/limite_de_bairros.zip");
    config.AddCommand<StatusCommand>("status")
        .WithDescription("Show the migrations applied and pending, and the cities with their layer counts.");
});
return await app.RunAsync(args);
