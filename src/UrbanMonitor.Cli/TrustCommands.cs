using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using UrbanMonitor.Database;
using UrbanMonitor.Database.Audit;
using UrbanMonitor.Database.Backup;

namespace UrbanMonitor.Cli;

/// <summary><c>urbanmonitor audit verify</c>: seals pending audit entries and recomputes the hash chain.
/// Exit 0 when intact, 4 when a break is found (each listed).</summary>
public sealed class AuditVerifyCommand : AsyncCommand<DatabaseSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, DatabaseSettings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var sealedNow = await AuditLog.SealAsync(db, cancellationToken);
            var problems = await AuditLog.VerifyAsync(db, cancellationToken);
            var head = await AuditLog.HeadAsync(db, cancellationToken);
            Console.WriteLine($"Audit log: {head.Sealed:N0} entries chained ({sealedNow:N0} sealed now), head {head.Hash ?? "(empty)"}.");
            if (problems.Count == 0) { Console.WriteLine("The chain is intact."); return 0; }
            foreach (var p in problems) Console.WriteLine($"BROKEN at entry {p.SealSeq} (audit id {p.AuditId}): {p.Reason}");
            Console.Error.WriteLine($"error: the audit chain is broken in {problems.Count} place(s); the log was tampered with.");
            return 4;
        });
}

/// <summary><c>urbanmonitor backup FILE</c>: pg_dump (custom format) plus a manifest of per-table digests taken in the same snapshot.</summary>
public sealed class BackupCommand : AsyncCommand<BackupCommand.Settings>
{
    public sealed class Settings : DatabaseSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("The backup file to write (FILE.manifest.json is written beside it).")]
        public string File { get; init; } = "";
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            try
            {
                var manifest = await AnsiConsole.Status().StartAsync("Dumping the database…",
                    _ => Backups.BackupAsync(settings.ConnectionString, settings.File, cancellationToken));
                Console.WriteLine($"Wrote {settings.File} ({new FileInfo(settings.File).Length:N0} bytes) and {Backups.ManifestPath(settings.File)}: " +
                                  $"{manifest.Tables.Count} tables, {manifest.Tables.Sum(t => t.Rows):N0} rows.");
                return 0;
            }
            catch (InvalidOperationException e) { Console.Error.WriteLine("error: " + e.Message); return 6; }
        });
}

/// <summary><c>urbanmonitor restore FILE --db …</c>: pg_restore into a new, empty database, then checks every table's
/// digest against the backup's manifest. Exit 0 when identical, 7 when any table differs.</summary>
public sealed class RestoreCommand : AsyncCommand<BackupCommand.Settings>
{
    public override Task<int> ExecuteAsync(CommandContext context, BackupCommand.Settings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            try
            {
                var differ = await AnsiConsole.Status().StartAsync("Restoring…",
                    _ => Backups.RestoreAsync(settings.ConnectionString, settings.File, cancellationToken));
                if (differ.Count == 0) { Console.WriteLine("Restored; every table is identical to the backup."); return 0; }
                Console.Error.WriteLine($"error: restored, but these tables differ from the backup: {string.Join(", ", differ)}");
                return 7;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException or System.Text.Json.JsonException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 6;
            }
        });
}
