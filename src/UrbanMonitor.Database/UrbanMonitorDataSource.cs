using Npgsql;

namespace UrbanMonitor.Database;

/// <summary>Builds the one <see cref="NpgsqlDataSource"/> of a process, with PostGIS types mapped to NetTopologySuite.</summary>
public static class UrbanMonitorDataSource
{
    public static NpgsqlDataSource Create(string connectionString, string applicationName = "urbanmonitor")
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(csb.ApplicationName)) csb.ApplicationName = applicationName;
        var builder = new NpgsqlDataSourceBuilder(csb.ConnectionString);
        builder.UseNetTopologySuite();
        return builder.Build();
    }
}
