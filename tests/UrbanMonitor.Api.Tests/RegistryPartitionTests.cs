using UrbanMonitor.Api.Tests.Infrastructure;
using UrbanMonitor.Database.Demo;
using UrbanMonitor.Database.Registration;

namespace UrbanMonitor.Api.Tests;

/// <summary>
/// The registry's tables are partitioned by city (migration 0143); autovacuum never analyzes a partitioned table as a
/// whole, so the loaders, imports and a background keeper do (0144, <see cref="RegistryStatistics"/>). Without the
/// parents' statistics the planner guessed the first feed page of a million parcels as a sort of every row.
/// </summary>
public class RegistryPartitionTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private const string ParentRows = "SELECT reltuples::bigint FROM pg_class WHERE oid = $1::regclass";

    [Fact]
    public async Task ALoadLeavesTheParentsStatisticsCurrentAndTheKeeperAnalyzesThemOnlyWhenThePartitionsHaveDrifted()
    {
        var ct = TestContext.Current.CancellationToken;
        await new DemoLoader(db.DataSource).LoadSyntheticAsync(300, 5, ct);
        var parcels = await db.ScalarAsync<long>("SELECT count(*) FROM properties");
        Assert.True(parcels >= 300);
        // The loader analyzed both parents after its commit (the migration had analyzed them empty).
        Assert.Equal(parcels, await db.ScalarAsync<long>(ParentRows, "properties"));
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM property_versions"), await db.ScalarAsync<long>(ParentRows, "property_versions"));
        Assert.True(await db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_stats WHERE tablename = 'properties' AND attname = 'city_id')"));

        // Nothing has drifted: the keeper's call analyzes nothing.
        Assert.Empty(await RegistryStatistics.RefreshAsync(db.DataSource, force: false, ct));

        // 2,000 more parcels in another city; once autovacuum has counted the partition (here: ANALYZE of the partition,
        // as autovacuum does), the parents are more than 10 % behind and the keeper analyzes them, once.
        await db.ScalarAsync<long>("""
            WITH c AS (INSERT INTO cities (slug, code, name, country) VALUES ('drift', 'DRI', 'Drift', 'ZZ') RETURNING id),
                 p AS (INSERT INTO properties (city_id, code, district_code, block, parcel, geom)
                       SELECT c.id, 'DRI-1-1-' || g, '1', '1', g::text,
                              ST_Multi(ST_MakeEnvelope(10 + g * 0.001, 10, 10 + g * 0.001 + 0.0005, 10.0005, 4326))
                       FROM c, generate_series(1, 2000) g RETURNING 1)
            SELECT count(*) FROM p
            """);
        await using (var vacuum = db.DataSource.CreateCommand("ANALYZE properties_shared"))
            await vacuum.ExecuteNonQueryAsync(ct);
        Assert.Equal(["properties"], await RegistryStatistics.RefreshAsync(db.DataSource, force: false, ct));
        Assert.Equal(parcels + 2000, await db.ScalarAsync<long>(ParentRows, "properties"));
        Assert.Empty(await RegistryStatistics.RefreshAsync(db.DataSource, force: false, ct));
    }
}
