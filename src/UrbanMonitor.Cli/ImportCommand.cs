using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using UrbanMonitor.Database;
using UrbanMonitor.Database.Imports;

namespace UrbanMonitor.Cli;

/// <summary><c>urbanmonitor import</c>: the same import job as <c>POST /api/cities/{slug}/layers/{layer}</c>, run
/// in this process with a progress bar.</summary>
public sealed class ImportCommand : AsyncCommand<ImportCommand.Settings>
{
    public sealed class Settings : DatabaseSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("GeoJSON, GeoPackage, zipped Shapefile, CSV with WKT, or a GTFS zip.")]
        public string File { get; init; } = "";

        [CommandOption("--city <SLUG>")]
        public string City { get; init; } = "";

        [CommandOption("--layer <LAYER>")]
        [Description("districts, settlements, properties, streets, open-spaces, built-up, population-units, hazard-zones, facilities, transit-stops, councils, projects (a project names its council: --set council=<code> or an attribute council_code).")]
        public string Layer { get; init; } = "";

        [CommandOption("--mode <MODE>")]
        [DefaultValue("all-or-nothing")]
        public string Mode { get; init; } = "all-or-nothing";

        [CommandOption("--crs <CRS>")]
        [Description("EPSG:<code> when the file declares none (or declares it wrongly).")]
        public string? Crs { get; init; }

        [CommandOption("--source <TEXT>")]
        public string? Source { get; init; }

        [CommandOption("--licence <TEXT>")]
        public string? Licence { get; init; }

        [CommandOption("--set <COLUMN=VALUE>")]
        [Description("A value for every feature (epoch=2015, kind=school, capacity=high, transit-mode=metro) or a mapping map.<column>=<attribute>. Repeatable.")]
        public string[] Set { get; init; } = [];

        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(City) || string.IsNullOrEmpty(Layer)) return ValidationResult.Error("--city and --layer are required.");
            if (!System.IO.File.Exists(File)) return ValidationResult.Error($"No such file: {File}");
            if (Set.Any(s => !s.Contains('=', StringComparison.Ordinal))) return ValidationResult.Error("--set takes COLUMN=VALUE.");
            return base.Validate();
        }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var runner = new ImportRunner(db);
            var options = settings.Set.Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            PreparedImport job;
            try
            {
                job = await runner.PrepareAsync(new ImportRequest(settings.City, settings.Layer, settings.Mode, settings.Crs, options,
                    settings.Source, settings.Licence, Path.GetFileName(settings.File), "cli:" + Environment.UserName), settings.File, cancellationToken);
            }
            catch (ImportRejectedException e)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 5;
            }
            catch (CityNotFoundException e)
            {
                Console.Error.WriteLine("error: " + e.Message + " ('urbanmonitor status' lists the cities.)");
                return 5;
            }
            Console.WriteLine($"Import {job.JobId}: {job.Source.Format}, EPSG:{job.Srid}, into {job.Layer.Id} of {settings.City} ({settings.Mode}).");

            var size = new FileInfo(settings.File).Length;
            if (AnsiConsole.Profile.Capabilities.Interactive)
                await AnsiConsole.Progress().AutoClear(false).StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("staging features");
                    task.IsIndeterminate = true;
                    await runner.RunAsync(job, new SyncProgress<long>(n => task.Description = $"staged {n:N0} features"), cancellationToken);
                    task.IsIndeterminate = false;
                    task.Value = task.MaxValue;
                });
            else
                await runner.RunAsync(job, new SyncProgress<long>(n => Console.WriteLine($"  staged {n:N0} features")), cancellationToken);

            await using var cmd = db.CreateCommand(
                "SELECT status, features_read, features_invalid, features_published, coalesce(error, '') FROM import_jobs WHERE id = $1");
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = job.JobId });
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
            await r.ReadAsync(cancellationToken);
            var status = r.GetString(0);
            Console.WriteLine($"{status}: {r.GetInt64(1):N0} read, {r.GetInt64(2):N0} invalid, {r.GetInt64(3):N0} published ({size:N0} bytes). {r.GetString(4)}");
            await r.CloseAsync();
            if (status != "succeeded")
            {
                await using var issues = db.CreateCommand("SELECT feature_index, reason FROM import_issues WHERE job_id = $1 ORDER BY feature_index LIMIT 20");
                issues.Parameters.Add(new Npgsql.NpgsqlParameter { Value = job.JobId });
                await using var ir = await issues.ExecuteReaderAsync(cancellationToken);
                while (await ir.ReadAsync(cancellationToken)) Console.WriteLine($"  feature {ir.GetInt64(0)}: {ir.GetString(1)}");
            }
            return status == "succeeded" ? 0 : 6;
        });
}
