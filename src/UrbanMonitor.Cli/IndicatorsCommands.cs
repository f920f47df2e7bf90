using System.ComponentModel;
using System.Diagnostics;
using Spectre.Console;
using Spectre.Console.Cli;
using UrbanMonitor.Database;
using UrbanMonitor.Database.Indicators;

namespace UrbanMonitor.Cli;

public sealed class IndicatorsRecomputeSettings : DatabaseSettings
{
    [CommandOption("--city <SLUG>")]
    [Description("The city whose indicators to recompute (every indicator, the city and each district).")]
    public string? City { get; init; }

    public override ValidationResult Validate() => string.IsNullOrWhiteSpace(City)
        ? ValidationResult.Error("Name the city: --city rio-de-janeiro") : base.Validate();
}

/// <summary><c>urbanmonitor indicators recompute --city SLUG</c>: every indicator for the city and each district, stored,
/// with a progress bar on a terminal (plain lines elsewhere).</summary>
public sealed class IndicatorsRecomputeCommand : AsyncCommand<IndicatorsRecomputeSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, IndicatorsRecomputeSettings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var city = await IndicatorEngine.FindCityAsync(db, settings.City!, cancellationToken);
            if (city is null)
            {
                Console.Error.WriteLine($"error: there is no city '{settings.City}'.");
                return 1;
            }
            var clock = Stopwatch.StartNew();
            int written;
            if (AnsiConsole.Profile.Capabilities.Interactive)
                written = await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask($"{city.Slug}: indicators");
                        return await IndicatorStore.RecomputeCityAsync(db, city, new SyncProgress<RecomputeStep>(s =>
                        {
                            task.MaxValue = s.Total;
                            task.Value = s.Done;
                            task.Description = Markup.Escape($"{city.Slug}: {s.What}");
                        }), cancellationToken);
                    });
            else
                // One line per indicator with its own time, so the log shows what dominates.
                written = await IndicatorStore.RecomputeCityAsync(db, city, new SyncProgress<RecomputeStep>(s =>
                    Console.WriteLine($"  {s.Done}/{s.Total} {s.What}{(s.Took is { } t ? $" in {t.TotalSeconds:F2} s" : "")}")), cancellationToken);
            Console.WriteLine($"Recomputed {written} results for {city.Slug} ({city.Districts.Count} districts) in {clock.Elapsed.TotalSeconds:F2} s.");
            return 0;
        });
}

/// <summary><c>urbanmonitor indicators update</c>: drains the dirty-district queue once (what the service's updater
/// does on each notification) and prints what it rewrote and how long it took.</summary>
public sealed class IndicatorsUpdateCommand : AsyncCommand<DatabaseSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, DatabaseSettings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var report = await IndicatorStore.UpdateDirtyAsync(db, cancellationToken);
            foreach (var (city, district, code) in report.Rewritten)
                Console.WriteLine($"  {city}:{(district is "" ? "(city)" : district)} {code}");
            Console.WriteLine($"Updated {report.Rewritten.Count} results in {report.Elapsed.TotalMilliseconds:F1} ms.");
            return 0;
        });
}
