using DbUp;
using DbUp.Engine;
using Npgsql;

namespace UrbanMonitor.Database;

/// <summary>
/// Applies the numbered SQL migrations embedded in this assembly (<c>Migrations/0001_*.sql</c> …), each in its own
/// transaction, recorded in <c>public.schema_migrations</c>. Safe to rerun; two processes migrating at once are
/// serialised by an advisory lock.
/// </summary>
public static class Migrator
{
    /// <summary>The journal table; also read by the readiness check.</summary>
    public const string JournalTable = "schema_migrations";

    private const long AdvisoryLockKey = 0x55524241_4E4D4F4E; // "URBANMON"

    /// <summary>Names of all migrations this build knows, in order (e.g. <c>0001_core.sql</c>).</summary>
    public static IReadOnlyList<string> KnownScripts { get; } = typeof(Migrator).Assembly.GetManifestResourceNames()
        .Where(IsMigration)
        .Select(ShortName)
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Creates the database named in <paramref name="connectionString"/> when it does not exist yet.</summary>
    public static async Task<bool> EnsureDatabaseAsync(string connectionString, CancellationToken ct = default)
    {
        var target = new NpgsqlConnectionStringBuilder(UrbanMonitorDataSource.PrimaryOnly(connectionString)) { Pooling = false };
        var database = target.Database ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        try
        {
            await using var probe = new NpgsqlConnection(target.ConnectionString);
            await probe.OpenAsync(ct);
            return false;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // Only a missing database is ours to fix; any other failure is reported as it is.
        }
        var admin = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres" };
        await using var conn = new NpgsqlConnection(admin.ConnectionString);
        await conn.OpenAsync(ct);
        // CREATE DATABASE takes no parameters; the name is quoted as an identifier.
        await using var create = new NpgsqlCommand("CREATE DATABASE " + QuoteIdentifier(database), conn);
        await create.ExecuteNonQueryAsync(ct);
        return true;
    }

    /// <summary>Applies pending migrations; returns the names of those applied now.</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString, CancellationToken ct = default)
    {
        connectionString = UrbanMonitorDataSource.PrimaryOnly(connectionString); // never a read-only standby
        await using var lockConn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await lockConn.OpenAsync(ct);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock($1)", lockConn))
        {
            take.Parameters.Add(new NpgsqlParameter { Value = AdvisoryLockKey });
            await take.ExecuteNonQueryAsync(ct);
        }
        try
        {
            var result = Engine(connectionString).PerformUpgrade();
            if (!result.Successful)
                throw new MigrationFailedException(result.ErrorScript?.Name is { } name ? ShortName(name) : "(unknown)", result.Error);
            return result.Scripts.Select(s => ShortName(s.Name)).ToArray();
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", lockConn);
            release.Parameters.Add(new NpgsqlParameter { Value = AdvisoryLockKey });
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>Migrations this build knows that the database has not applied (empty when current).</summary>
    public static async Task<IReadOnlyList<string>> PendingAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT scriptname FROM public.schema_migrations WHERE to_regclass('public.schema_migrations') IS NOT NULL");
        var applied = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) applied.Add(ShortName(reader.GetString(0)));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return KnownScripts;
        }
        return KnownScripts.Where(s => !applied.Contains(s)).ToArray();
    }

    private static UpgradeEngine Engine(string connectionString) =>
        DeployChanges.To.PostgresqlDatabase(connectionString)
            .WithScriptsEmbeddedInAssembly(typeof(Migrator).Assembly, IsMigration)
            .WithTransactionPerScript()
            .WithVariablesDisabled()
            .JournalToPostgresqlTable("public", JournalTable)
            .LogToNowhere()
            .Build();

    private static bool IsMigration(string resourceName) =>
        resourceName.Contains(".Migrations.", StringComparison.Ordinal) && resourceName.EndsWith(".sql", StringComparison.Ordinal);

    private static string ShortName(string resourceName)
    {
        var marker = resourceName.LastIndexOf(".Migrations.", StringComparison.Ordinal);
        return marker < 0 ? resourceName : resourceName[(marker + ".Migrations.".Length)..];
    }

    internal static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>A migration script failed; nothing of that script was applied.</summary>
public sealed class MigrationFailedException(string script, Exception? inner)
    : Exception($"Migration {script} failed: {inner?.Message}", inner)
{
    public string Script { get; } = script;
}
