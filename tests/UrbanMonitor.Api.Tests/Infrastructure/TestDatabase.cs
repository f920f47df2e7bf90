using Npgsql;
using UrbanMonitor.Database;

namespace UrbanMonitor.Api.Tests.Infrastructure;

/// <summary>
/// A database of one test class: a clone of the migrated template (<c>CREATE DATABASE … TEMPLATE</c>), dropped when
/// the class is done. Tests load the fixtures they need into it.
/// </summary>
public class TestDatabase : IAsyncLifetime
{
    private string? _skipReason;
    private NpgsqlDataSource? _dataSource;

    /// <summary>Whether to clone the migrated template (true) or start from an empty database (false).</summary>
    protected virtual bool FromTemplate => true;

    public string Name { get; } = "test_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The clone's connection string; skips the calling test when PostGIS is unreachable (not on CI).</summary>
    public string ConnectionString
    {
        get
        {
            Assert.SkipWhen(_skipReason is not null, _skipReason ?? "");
            return PostgisServer.ConnectionStringFor(Name);
        }
    }

    /// <summary>A data source with NetTopologySuite mapping, on the clone.</summary>
    public NpgsqlDataSource DataSource => _dataSource ??= UrbanMonitorDataSource.Create(ConnectionString, "urbanmonitor-tests");

    public async ValueTask InitializeAsync()
    {
        _skipReason = await PostgisServer.UnavailableReasonAsync();
        if (_skipReason is not null) return;
        var sql = FromTemplate
            ? $"CREATE DATABASE {PostgisServer.Quote(Name)} TEMPLATE {PostgisServer.Quote(PostgisServer.TemplateName)}"
            : $"CREATE DATABASE {PostgisServer.Quote(Name)}";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await PostgisServer.AdminAsync(sql);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 20)
            {
                // Another process is still connected to the template (e.g. migrating it): wait and retry.
                await Task.Delay(250);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null) await _dataSource.DisposeAsync();
        if (_skipReason is not null) return;
        NpgsqlConnection.ClearAllPools();
        await PostgisServer.AdminAsync($"DROP DATABASE IF EXISTS {PostgisServer.Quote(Name)} WITH (FORCE)");
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs a scalar query on the clone.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        var value = await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        return (T)Convert.ChangeType(value!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>An empty database (no migrations), for tests of migrating from scratch.</summary>
public sealed class EmptyDatabase : TestDatabase
{
    protected override bool FromTemplate => false;
}
