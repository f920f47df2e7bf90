using Npgsql;

namespace UrbanMonitor.Database;

/// <summary>Builds the one <see cref="NpgsqlDataSource"/> of a process, with PostGIS types mapped to NetTopologySuite.</summary>
public static class UrbanMonitorDataSource
{
    /// <summary>The data source for writes: with several hosts in the connection string, the primary only (the CLI,
    /// loaders and migrations must never land on a read-only standby).</summary>
    public static NpgsqlDataSource Create(string connectionString, string applicationName = "urbanmonitor") =>
        CreateReadWrite(connectionString, applicationName).Primary;

    /// <summary>
    /// The service's two ways into the database. With one host both are the same data source. With several
    /// (Npgsql multi-host, <c>Host=primary:5432,standby:5433</c>) <c>Primary</c> only ever connects to the server that
    /// accepts writes (<see cref="TargetSessionAttributes.Primary"/>), and <c>Reads</c> prefers a hot standby and falls
    /// back to the primary while no standby answers (<see cref="TargetSessionAttributes.PreferStandby"/>).
    /// </summary>
    public static (NpgsqlDataSource Primary, NpgsqlDataSource Reads) CreateReadWrite(string connectionString, string applicationName = "urbanmonitor")
    {
        var builder = Builder(connectionString, applicationName);
        if (!builder.ConnectionStringBuilder.Host!.Contains(',', StringComparison.Ordinal))
        {
            var single = builder.Build();
            return (single, single);
        }
        var hosts = builder.BuildMultiHost();
        return (hosts.WithTargetSession(TargetSessionAttributes.Primary), hosts.WithTargetSession(TargetSessionAttributes.PreferStandby));
    }

    /// <summary>The connection string for a plain <see cref="NpgsqlConnection"/> that must write (migrations, creating the
    /// database): with several hosts, <c>Target Session Attributes=primary</c>; with one, unchanged.</summary>
    public static string PrimaryOnly(string connectionString)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        if (csb.Host is null || !csb.Host.Contains(',', StringComparison.Ordinal)) return connectionString;
        csb.TargetSessionAttributes = "primary";
        return csb.ConnectionString;
    }

    private static NpgsqlDataSourceBuilder Builder(string connectionString, string applicationName)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(csb.ApplicationName)) csb.ApplicationName = applicationName;
        // The service runs a few statements over and over (the registration rules, feature reads, tile queries): PostGIS
        // spends longer planning them than executing them, so each physical connection prepares those it has run a few
        // times (issue 4: a registration planned ~3 ms of SQL). A connection string that sets Max Auto Prepare wins.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare")) csb.MaxAutoPrepare = 128;
        var builder = new NpgsqlDataSourceBuilder(csb.ConnectionString);
        builder.UseNetTopologySuite();
        return builder;
    }
}
