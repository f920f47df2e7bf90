using System.Net.Sockets;
using Npgsql;

namespace UrbanMonitor.Database;

/// <summary>Turns a failure to reach PostgreSQL/PostGIS into one paragraph a land office's IT person can act on.</summary>
public static class ConnectionDiagnostics
{
    /// <summary>Describes the server and database of a connection string without its password.</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            var csb = new NpgsqlConnectionStringBuilder(connectionString);
            return $"database '{csb.Database}' on {csb.Host}:{csb.Port} as user '{csb.Username}'";
        }
        catch (ArgumentException)
        {
            return "(the connection string could not be parsed)";
        }
    }

    /// <summary>True when Npgsql can read <paramref name="connectionString"/>.</summary>
    public static bool IsParseable(string connectionString)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Explains <paramref name="error"/>, or returns null when it is not a connection problem.</summary>
    public static string? Explain(Exception error, string connectionString, string source)
    {
        var target = Describe(connectionString);
        var advice = $"Check {source}: it must be an Npgsql connection string such as " +
                     "'Host=127.0.0.1;Port=5432;Database=urbanmonitor;Username=postgres;Password=…' for a PostgreSQL server with PostGIS 3.";
        return error switch
        {
            ArgumentException a when !IsParseable(connectionString)
                => $"The connection string in {source} is not valid ({a.Message.ReplaceLineEndings(" ")}). {advice}",
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } p
                => $"PostgreSQL refused the login for {target}: {p.MessageText}. {advice}",
            PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } p
                => $"The {target} does not exist ({p.MessageText}). Create it, or name an existing database. {advice}",
            PostgresException { SqlState: PostgresErrorCodes.UndefinedFile } p when p.MessageText.Contains("postgis", StringComparison.OrdinalIgnoreCase)
                => $"PostGIS is not installed on the server of {target} ({p.MessageText}). Install PostGIS 3 there (Debian: postgresql-15-postgis-3), or point {source} at a server that has it.",
            NpgsqlException { InnerException: SocketException s }
                => $"Could not reach PostgreSQL for {target}: {s.Message}. Is the server running and listening there? {advice}",
            NpgsqlException { InnerException: TimeoutException } or TimeoutException
                => $"Timed out connecting to PostgreSQL for {target}. Is the host right and reachable? {advice}",
            NpgsqlException n when n.InnerException is null && n is not PostgresException
                => $"Could not connect to PostgreSQL for {target}: {n.Message}. {advice}",
            _ => null,
        };
    }
}
