namespace UrbanMonitor.Api.Hosting;

/// <summary>Where the service's PostGIS is. <c>URBANMONITOR_DB</c> (configuration key <c>DB</c>) wins over
/// <c>Database:ConnectionString</c>.</summary>
public sealed class DatabaseOptions
{
    public string ConnectionString { get; set; } = "";
}
