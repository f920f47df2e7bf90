using Npgsql;
using UrbanMonitor.Database;

namespace UrbanMonitor.Api.Tests.Infrastructure;

/// <summary>
/// The PostGIS server the integration tests use: <c>URBANMONITOR_TEST_DB</c> (set by ./test.sh to its throwaway
/// cluster), else a local default. Holds one migrated template database (<c>URBANMONITOR_TEST_TEMPLATE</c>) that
/// each test class clones. Unreachable: tests skip locally and fail when <c>CI=true</c>.
/// </summary>
public static class PostgisServer
{
    public static string AdminConnectionString { get; } =
        Environment.GetEnvironmentVariable("URBANMONITOR_TEST_DB") is { Length: > 0 } s
            ? s
            : "Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres";

    public static string TemplateName { get; } =
        Environment.GetEnvironmentVariable("URBANMONITOR_TEST_TEMPLATE") is { Length: > 0 } t ? t : "urbanmonitor_template";

    public static bool OnCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static readonly Lazy<Task<string?>> Unavailable = new(PrepareAsync);

    /// <summary>Null when the server is ready; otherwise why not (locally, tests skip with it).</summary>
    public static async Task<string?> UnavailableReasonAsync()
    {
        var reason = await Unavailable.Value;
        if (reason is not null && OnCi)
            throw new InvalidOperationException("CI=true and the test PostGIS is not usable: " + reason);
        return reason;
    }

    /// <summary>A connection string to <paramref name="database"/> on the test server, without pooling
    /// (pooled idle connections would block cloning and dropping).</summary>
    public static string ConnectionStringFor(string database, bool pooling = true) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, Pooling = pooling }.ConnectionString;

    private static async Task<string?> PrepareAsync()
    {
        try
        {
            await using (var conn = new NpgsqlConnection(ConnectionStringFor("postgres", pooling: false)))
            {
                await conn.OpenAsync();
            }
            var template = ConnectionStringFor(TemplateName, pooling: false);
            try
            {
                await Migrator.EnsureDatabaseAsync(template);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Another test process created it at the same moment.
            }
            await Migrator.MigrateAsync(template);
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return $"PostGIS at {ConnectionDiagnostics.Describe(AdminConnectionString)} is unreachable ({e.Message}). Run ./test.sh, or set URBANMONITOR_TEST_DB.";
        }
    }

    /// <summary>Runs an admin statement (CREATE/DROP DATABASE) on the server's postgres database.</summary>
    public static async Task AdminAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionStringFor("postgres", pooling: false));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
