using System.Diagnostics;
using System.Text.Json;
using Npgsql;

namespace UrbanMonitor.Database.Backup;

/// <summary>Backups with pg_dump/pg_restore, and a digest of every table that proves a restore is identical.
/// The digest is taken in the very snapshot pg_dump reads (<c>pg_export_snapshot</c> + <c>--snapshot</c>), so a backup
/// made while the service keeps writing still matches its manifest exactly.</summary>
public static class Backups
{
    /// <summary>Per table: rows and an md5 over the rows' text in a fixed order.</summary>
    public sealed record TableDigest(string Table, long Rows, string Md5);

    public sealed record Manifest(DateTimeOffset TakenAt, string Database, IReadOnlyList<TableDigest> Tables);

    public static string ManifestPath(string file) => file + ".manifest.json";

    /// <summary>The user tables of schema public (PostGIS's spatial_ref_sys aside), in name order.</summary>
    public static async Task<IReadOnlyList<TableDigest>> DigestAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct,
        IReadOnlyCollection<string>? except = null)
    {
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'spatial_ref_sys'
            ORDER BY c.relname
            """, conn, tx))
        await using (var reader = await list.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) tables.Add(reader.GetString(0));

        var digests = new List<TableDigest>();
        foreach (var t in tables.Where(t => except is null || !except.Contains(t)))
        {
            // The table name comes from the catalogue, quoted; no value is interpolated.
            var q = "\"" + t.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await using var cmd = new NpgsqlCommand(
                $"SELECT count(*), coalesce(md5(string_agg(md5(r::text), '' ORDER BY md5(r::text))), '') FROM {q} r", conn, tx);
            cmd.CommandTimeout = 0;
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            digests.Add(new TableDigest(t, reader.GetInt64(0), reader.GetString(1)));
        }
        return digests;
    }

    /// <summary>Dumps the database (pg_dump custom format) to <paramref name="file"/> and writes its manifest beside it.</summary>
    public static async Task<Manifest> BackupAsync(string connectionString, string file, CancellationToken ct)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        await using var conn = new NpgsqlConnection(csb.ConnectionString);
        await conn.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        string snapshot;
        await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", conn, tx))
            snapshot = (string)(await export.ExecuteScalarAsync(ct))!;
        var taken = DateTimeOffset.UtcNow;
        // pg_dump reads the exported snapshot while this transaction keeps it alive.
        var dump = RunAsync("pg_dump", csb, ["--format=custom", "--no-owner", "--snapshot=" + snapshot, "--file=" + file, "--dbname=" + csb.Database], ct);
        var tables = await DigestAsync(conn, tx, ct);
        await dump;
        await tx.CommitAsync(ct);
        var manifest = new Manifest(taken, csb.Database ?? "", tables);
        await File.WriteAllTextAsync(ManifestPath(file), JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }), ct);
        return manifest;
    }

    /// <summary>Restores <paramref name="file"/> into the empty database of <paramref name="connectionString"/> (created when
    /// missing) and returns the tables whose digest differs from the manifest (none: identical).</summary>
    public static async Task<IReadOnlyList<string>> RestoreAsync(string connectionString, string file, CancellationToken ct)
    {
        var manifestText = await File.ReadAllTextAsync(ManifestPath(file), ct);
        var manifest = JsonSerializer.Deserialize<Manifest>(manifestText) ?? throw new InvalidDataException("The backup's manifest is empty.");
        var csb = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        await Migrator.EnsureDatabaseAsync(csb.ConnectionString, ct);
        await using (var conn = new NpgsqlConnection(csb.ConnectionString))
        {
            await conn.OpenAsync(ct);
            await using var count = new NpgsqlCommand(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'spatial_ref_sys'", conn);
            if ((long)(await count.ExecuteScalarAsync(ct))! > 0)
                throw new InvalidOperationException($"The database '{csb.Database}' is not empty; restore into a new database.");
        }
        await RunAsync("pg_restore", csb, ["--no-owner", "--exit-on-error", "--single-transaction", "--dbname=" + csb.Database, file], ct);
        await using var check = new NpgsqlConnection(csb.ConnectionString);
        await check.OpenAsync(ct);
        await ContinueFeedPositionsAsync(check, ct);
        var restored = (await DigestAsync(check, null, ct)).ToDictionary(d => d.Table);
        var differ = new List<string>();
        foreach (var d in manifest.Tables)
            if (!restored.TryGetValue(d.Table, out var r) || r.Rows != d.Rows || r.Md5 != d.Md5)
                differ.Add(d.Table);
        differ.AddRange(restored.Keys.Except(manifest.Tables.Select(t => t.Table)));
        return differ;
    }

    /// <summary>The change feed orders versions by the id of the transaction that published them (migration 0145). A
    /// backup restored into another cluster brings that cluster's ids, which may be ahead of this one's: then the database
    /// gets an offset that puts new positions after the restored ones, so a GIS team's cursor from before the restore
    /// still sees every change made after it (a cursor past the backup's changes is answered 410: sync again). The
    /// offset is um_feed_offset() redefined: the restoring role owns the restored functions (a database-level setting
    /// would need a superuser).</summary>
    private static async Task ContinueFeedPositionsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            DO $$
            DECLARE
                gap bigint;
            BEGIN
                IF to_regprocedure('um_feed_position()') IS NULL THEN
                    RETURN; -- a backup from before 0145: its versions all take position 0 when it is migrated
                END IF;
                gap := (SELECT max(feed_position) FROM property_versions) + 1
                       - (pg_snapshot_xmax(pg_current_snapshot())::text::bigint + um_feed_offset());
                IF gap > 0 THEN
                    EXECUTE format('CREATE OR REPLACE FUNCTION um_feed_offset() RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE AS %L',
                                   format('SELECT %s::bigint', um_feed_offset() + gap));
                END IF;
            END $$
            """, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task RunAsync(string tool, NpgsqlConnectionStringBuilder csb, IEnumerable<string> args, CancellationToken ct)
    {
        var path = new[] { "/usr/lib/postgresql/15/bin/" + tool }.FirstOrDefault(File.Exists) ?? tool;
        var psi = new ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("--host=" + (csb.Host ?? "localhost"));
        psi.ArgumentList.Add("--port=" + csb.Port);
        if (csb.Username is { } user) psi.ArgumentList.Add("--username=" + user);
        psi.ArgumentList.Add("--no-password");
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (csb.Password is { } password) psi.Environment["PGPASSWORD"] = password;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start.");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        _ = process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} failed (exit {process.ExitCode}): {(await stderr).Trim()}");
    }
}
