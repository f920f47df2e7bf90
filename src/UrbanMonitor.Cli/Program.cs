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
    config.AddBranch("users", users =>
    {
        users.SetDescription("Users, their roles and districts, and their tokens.");
        users.AddCommand<UsersAddCommand>("add").WithDescription("Add a user: urbanmonitor users add LOGIN --name … --role land-officer --district mazar-e-sharif:1");
        users.AddCommand<UsersListCommand>("list").WithDescription("List the users.");
        users.AddCommand<UsersUpdateCommand>("update").WithDescription("Change a user's name, roles or districts: urbanmonitor users update LOGIN --role supervisor --district mazar-e-sharif:2");
        users.AddCommand<UsersDisableCommand>("disable").WithDescription("Disable a user (their tokens stop working).");
        users.AddCommand<UsersDisableCommand>("enable").WithDescription("Enable a disabled user again.");
        users.AddCommand<UsersTokenCommand>("token").WithDescription("Print a bearer token for a user (needs URBANMONITOR_Auth__SigningKey).");
        users.AddCommand<UsersDemoCommand>("demo").WithDescription("Create the demo users (one or more per role) and write them with tokens to a JSON file.");
    });
    config.AddBranch("properties", properties =>
    {
        properties.SetDescription("The property registry.");
        properties.AddCommand<PropertiesRegisterCommand>("register")
            .WithDescription("Register the parcels of a GeoJSON Feature or FeatureCollection as a land officer, through the service's rules (one transaction per parcel; exit 4 when any is refused).")
            .WithExample("properties", "register", "parcels.geojson", "--as", "officer1", "--city", "mazar-e-sharif");
    });
    config.AddBranch("audit", audit =>
    {
        audit.SetDescription("The append-only, hash-chained audit log.");
        audit.AddCommand<AuditVerifyCommand>("verify").WithDescription("Seal pending entries and recompute the hash chain; exit 4 when it is broken.");
    });
    config.AddBranch("indicators", indicators =>
    {
        indicators.SetDescription("SDG 11 / Urban Monitoring Framework indicators stored per city and district.");
        indicators.AddCommand<IndicatorsRecomputeCommand>("recompute").WithDescription("Recompute and store every indicator of a city and its districts (progress bar).");
        indicators.AddCommand<IndicatorsUpdateCommand>("update").WithDescription("Recompute the districts that writes made dirty (what the service does on its own) and say how long it took.");
    });
    config.AddCommand<BackupCommand>("backup")
        .WithDescription("Back the database up (pg_dump) with a manifest of per-table digests taken in the same snapshot.");
    config.AddCommand<RestoreCommand>("restore")
        .WithDescription("Restore a backup into a new, empty database (--db) and check every table is identical to the backup.");
    config.AddCommand<StatusCommand>("status")
        .WithDescription("Show the migrations applied and pending, and the cities with their layer counts.");
});
return await app.RunAsync(args);
