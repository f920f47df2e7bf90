using System.ComponentModel;
using System.Text.Json;
using Spectre.Console.Cli;
using UrbanMonitor.Database;
using UrbanMonitor.Database.Auth;
using UrbanMonitor.Database.Registration;

namespace UrbanMonitor.Cli;

/// <summary>
/// <c>urbanmonitor properties register FILE --as LOGIN</c>: registers the parcels of a GeoJSON Feature or
/// FeatureCollection (the same body <c>POST /api/properties</c> takes, one per feature) as a land officer, through the
/// same rules as the service: the user's role and district, geometry type and validity (<c>--repair</c>), inside the
/// district, plausible area, no overlap, snapping (<c>--snap</c>), unique codes. Each parcel is its own transaction, as
/// a field submission is; a refused parcel writes nothing and is reported with its reason. Exit 0 when every parcel was
/// registered, 4 when some were refused.
/// </summary>
public sealed class PropertiesRegisterCommand : AsyncCommand<PropertiesRegisterCommand.Settings>
{
    public sealed class Settings : DatabaseSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("A GeoJSON Feature or FeatureCollection of parcels (properties: city, district, block, parcel, rights, …).")]
        public string File { get; init; } = "";

        [CommandOption("--as <LOGIN>")]
        [Description("The user registering (a land-officer or admin assigned to the parcels' districts); recorded as surveyor and in the audit log.")]
        public string? As { get; init; }

        [CommandOption("--city <SLUG>")]
        [Description("The city of features that do not name one.")]
        public string? City { get; init; }

        [CommandOption("--srid <EPSG>")]
        [Description("The coordinates' CRS: 4326 (default), 3857 or a WGS 84 UTM zone (326xx, 327xx).")]
        [DefaultValue(4326)]
        public int Srid { get; init; } = 4326;

        [CommandOption("--repair")]
        [Description("Repair invalid geometries with ST_MakeValid (and report what changed) instead of refusing them.")]
        public bool Repair { get; init; }

        [CommandOption("--snap <METRES>")]
        [Description("Snap vertices to neighbouring parcels within this distance (0 = off).")]
        [DefaultValue(RegistrationRules.DefaultSnapM)]
        public double Snap { get; init; } = RegistrationRules.DefaultSnapM;

        public override Spectre.Console.ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(As)) return Spectre.Console.ValidationResult.Error("--as LOGIN is required: registrations are made by a user.");
            if (Srid is not (4326 or 3857) && !UrbanMonitor.Domain.Geometry.Utm.IsUtmEpsg(Srid))
                return Spectre.Console.ValidationResult.Error($"--srid {Srid} is not supported; use 4326, 3857 or a WGS 84 UTM zone (32601–32660, 32701–32760).");
            if (Snap is < 0 or > RegistrationRules.MaxSnapM)
                return Spectre.Console.ValidationResult.Error($"--snap must be from 0 (off) to {RegistrationRules.MaxSnapM} metres.");
            return base.Validate();
        }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Guard.RunAsync(settings, async () =>
        {
            List<JsonElement> features;
            try
            {
                using var doc = JsonDocument.Parse(await System.IO.File.ReadAllBytesAsync(settings.File, cancellationToken));
                features = doc.RootElement.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "FeatureCollection"
                    && doc.RootElement.TryGetProperty("features", out var list) && list.ValueKind == JsonValueKind.Array
                    ? [.. list.EnumerateArray().Select(f => f.Clone())]
                    : [doc.RootElement.Clone()];
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: cannot read {settings.File} as GeoJSON: {e.Message}");
                return 2;
            }

            await using var db = UrbanMonitorDataSource.Create(settings.ConnectionString, "urbanmonitor-cli");
            var user = (await Users.ListAsync(db, settings.As, cancellationToken, includeDisabled: true)).FirstOrDefault()
                ?? throw new UserRejectedException($"There is no user '{settings.As}' (urbanmonitor users list).");

            var registered = 0;
            var refused = 0;
            await Progress.RunAsync($"Registering {features.Count} parcel(s) from {Path.GetFileName(settings.File)}", async progress =>
            {
                for (var i = 0; i < features.Count; i++)
                {
                    RuleProblem? problem;
                    PropertyWrites.Registered? done = null;
                    try
                    {
                        var input = PropertyInput.Parse(features[i]);
                        if (input.City is null && settings.City is not null) input = input with { City = settings.City };
                        (done, problem) = await PropertyWrites.RegisterAsync(db, input, settings.Srid, settings.Repair, settings.Snap, user, cancellationToken);
                    }
                    catch (FormatException e)
                    {
                        problem = RuleProblem.Unreadable(e);
                    }
                    if (done is not null)
                    {
                        registered++;
                        progress.Report($"feature {i}: registered {done.Code} (property {done.Id}, version {done.Version})"
                            + (done.Repair is null ? "" : "; repaired with ST_MakeValid")
                            + (done.Snap is { } snap && snap["snapped"] is true ? $"; snapped to {string.Join(", ", (string[])snap["neighbours"]!)}" : ""));
                    }
                    else
                    {
                        refused++;
                        progress.Report($"feature {i}: refused, {problem}");
                    }
                }
                return 0;
            });
            Console.WriteLine($"{registered} registered, {refused} refused.");
            return refused == 0 ? 0 : 4;
        });
}
