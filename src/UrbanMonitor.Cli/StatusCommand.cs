using Spectre.Console;
using Spectre.Console.Cli;
using UrbanMonitor.Database;

namespace UrbanMonitor.Cli;

public sealed class StatusCommand : AsyncCommand<DatabaseSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, DatabaseSettings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var dataSource = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var pending = await Migrator.PendingAsync(dataSource, cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"Migrations: {Migrator.KnownScripts.Count - pending.Count} applied, {pending.Count} pending.");
            if (pending.Count > 0) return 1;
            var table = new Table().AddColumns("city", "districts", "settlements", "properties", "transit stops");
            await using var cmd = dataSource.CreateCommand(
                """
                SELECT c.slug,
                       (SELECT count(*) FROM districts d WHERE d.city_id = c.id),
                       (SELECT count(*) FROM settlements s WHERE s.city_id = c.id),
                       (SELECT count(*) FROM properties p WHERE p.city_id = c.id),
                       (SELECT count(*) FROM transit_stops t WHERE t.city_id = c.id)
                FROM cities c ORDER BY c.slug
                """);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                table.AddRow(reader.GetString(0), $"{reader.GetInt64(1):N0}", $"{reader.GetInt64(2):N0}", $"{reader.GetInt64(3):N0}", $"{reader.GetInt64(4):N0}");
            AnsiConsole.Write(table);
            return 0;
        });
}
