using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using UrbanMonitor.Database;

namespace UrbanMonitor.Cli;

public sealed class MigrateCommand : AsyncCommand<MigrateCommand.Settings>
{
    public sealed class Settings : DatabaseSettings
    {
        [CommandOption("--create")]
        [Description("Create the database first when it does not exist (needs CREATEDB).")]
        public bool Create { get; init; }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            if (settings.Create && await Migrator.EnsureDatabaseAsync(settings.ConnectionString, cancellationToken))
                AnsiConsole.MarkupLineInterpolated($"Created {ConnectionDiagnostics.Describe(settings.ConnectionString)}.");
            var applied = await Migrator.MigrateAsync(settings.ConnectionString, cancellationToken);
            Console.WriteLine(applied.Count == 0
                ? $"Migrations current ({Migrator.KnownScripts.Count} applied)."
                : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}.");
            return 0;
        });
}
