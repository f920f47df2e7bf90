using UrbanMonitor.Api.Tests.Infrastructure;

namespace UrbanMonitor.Api.Tests;

/// <summary>Migration 0006 on a database that already holds properties.</summary>
public class RegistrationMigrationTests(EmptyDatabase db) : IClassFixture<EmptyDatabase>
{
    private static async Task RunScriptAsync(EmptyDatabase db, string name)
    {
        var sql = await File.ReadAllTextAsync(Path.Combine(Repo.Root, "src", "UrbanMonitor.Database", "Migrations", name), TestContext.Current.CancellationToken);
        await using var cmd = db.DataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ExistingPropertiesGetTheirFirstVersionAndLaterInsertsGetOneFromTheTrigger()
    {
        foreach (var script in new[] { "0001_core.sql", "0002_reference_layers_and_imports.sql", "0005_users.sql" })
            await RunScriptAsync(db, script);
        await db.ScalarAsync<long>("""
            WITH c AS (INSERT INTO cities (slug, code, name, country) VALUES ('old-town', 'OLD', 'Old Town', 'ZZ') RETURNING id)
            INSERT INTO properties (city_id, code, district_code, block, parcel, geom)
            SELECT c.id, 'OLD-1-1-' || n, '1', '1', n::text,
                   ST_Multi(ST_MakeEnvelope(10 + n * 0.001, 10, 10.0005 + n * 0.001, 10.0005, 4326)) FROM c, generate_series(1, 3) n
            RETURNING 1
            """);

        await RunScriptAsync(db, "0006_registration.sql");

        Assert.Equal(3, await db.ScalarAsync<long>("""
            SELECT count(*) FROM property_versions v JOIN properties p ON p.city_id = v.city_id AND p.id = v.property_id
            WHERE v.version = 1 AND p.version = 1 AND v.valid_to IS NULL AND v.valid_from = p.created_at AND ST_Equals(v.geom, p.geom) AND v.code = p.code
            """));
        await db.ScalarAsync<long>("""
            INSERT INTO properties (city_id, code, district_code, block, parcel, geom, surveyed_by)
            SELECT id, 'OLD-1-1-' || n, '1', '1', n::text, ST_Multi(ST_MakeEnvelope(10 + n * 0.001, 10, 10.0005 + n * 0.001, 10.0005, 4326)), 'someone'
            FROM cities, generate_series(4, 5) n
            RETURNING 1
            """);
        Assert.Equal(5, await db.ScalarAsync<long>("SELECT count(*) FROM property_versions WHERE version = 1 AND valid_to IS NULL"));
        Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM property_versions WHERE changed_by = 'someone'"));
    }
}
