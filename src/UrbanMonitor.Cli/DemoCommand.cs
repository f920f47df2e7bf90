using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using UrbanMonitor.Database;
using UrbanMonitor.Database.Demo;

namespace UrbanMonitor.Cli;

public sealed class DemoCommand : AsyncCommand<DemoCommand.Settings>
{
    public sealed class Settings : DatabaseSettings
    {
        [CommandOption("--data <DIR>")]
        [Description("Folder of the real data sets (default: URBANMONITOR_DATA, else ../shared/data).")]
        public string? Data { get; init; }

        [CommandOption("--synthetic")]
        [Description("Load the generated synthetic city even when the real data is present.")]
        public bool Synthetic { get; init; }

        [CommandOption("--parcels <N>")]
        [Description("Parcels of the synthetic city.")]
        [DefaultValue(10_000)]
        public int Parcels { get; init; } = 10_000;

        [CommandOption("--seed <SEED>")]
        [Description("Seed of the synthetic city; the same seed gives the same city.")]
        [DefaultValue(42)]
        public int Seed { get; init; } = 42;
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            var dataDir = Path.GetFullPath(settings.Data ?? Environment.GetEnvironmentVariable("URBANMONITOR_DATA") ?? Path.Combine("..", "shared", "data"));
            await using var dataSource = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var pending = await Migrator.PendingAsync(dataSource, cancellationToken);
            if (pending.Count > 0)
            {
                Console.Error.WriteLine($"error: the database has {pending.Count} pending migration(s) ({string.Join(", ", pending)}); run 'urbanmonitor migrate' first.");
                return 4;
            }

            var useReal = !settings.Synthetic && DemoLoader.HasRealData(dataDir);
            if (!settings.Synthetic && !useReal)
                AnsiConsole.MarkupLineInterpolated(
                    $"[yellow]The real demo data was not found in {dataDir} (expected rio/ and mazar/ from the project's shared data sets). Loading the generated 'synthetic' city instead ({settings.Parcels:N0} parcels, seed {settings.Seed}); to load Rio de Janeiro, Mazar-e-Sharif and Nairobi, put the data sets there or set URBANMONITOR_DATA to their folder.[/]");

            var results = await Progress.RunAsync("Loading demo data…", async progress =>
            {
                var loader = new DemoLoader(dataSource, progress);
                return useReal
                    ? await loader.LoadRealAsync(dataDir, cancellationToken)
                    : [await loader.LoadSyntheticAsync(settings.Parcels, settings.Seed, cancellationToken)];
            });
            foreach (var r in results)
                Console.WriteLine(r.AlreadyLoaded
                    ? $"{r.Slug}: already loaded."
                    : $"{r.Slug}: {string.Join(", ", r.Counts.Select(c => $"{c.Value:N0} {c.Key}"))}.");
            return 0;
        });
}
