using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace UrbanMonitor.Database.Registration;

/// <summary>
/// Why a registration was refused, independent of how it was asked for: the HTTP status the service answers with, the
/// problem type's name (the service prefixes it to make the RFC 9457 type URI; the CLI prints it), a title, the reason
/// in plain words, and the details (conflicting parcels, the location of an invalid vertex …).
/// </summary>
public sealed record RuleProblem(int Status, string Name, string Title, string Detail, IDictionary<string, object?>? Extensions = null)
{
    public static RuleProblem Unprocessable(string name, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        new(422, name, title, detail, extensions);

    /// <summary>A body that cannot be read as a property: malformed positions are <c>invalid-geojson</c>, the rest <c>invalid-property</c>.</summary>
    public static RuleProblem Unreadable(FormatException e) => e is GeoJsonFormatException
        ? Unprocessable("invalid-geojson", "Invalid GeoJSON", e.Message)
        : Unprocessable("invalid-property", "Invalid property", e.Message);

    public override string ToString() => $"{Name}: {Detail}";
}

/// <summary>
/// The geometry rules every write goes through, evaluated by PostGIS: Polygon/MultiPolygon only; valid (or repaired
/// with <c>ST_MakeValid</c> on request); inside its district (1 m tolerance); plausible area; no overlap with active
/// parcels beyond a tolerance; a unique code. Areas are geodesic, in m².
/// </summary>
public static class RegistrationRules
{
    /// <summary>Overlaps up to this area (m²) are survey noise and accepted.</summary>
    public const double OverlapToleranceM2 = 0.5;
    public const double MinAreaM2 = 10;
    public const double MaxAreaM2 = 1_000_000;

    private static readonly string NormalizeSql = Embedded("normalize.sql");
    private static readonly string RulesSql = Embedded("rules.sql");
    private static readonly string SnapSql = Embedded("snap.sql");

    /// <summary>Vertices within this distance (m) of an active neighbour snap to it unless the request says otherwise.</summary>
    public const double DefaultSnapM = 0.2;
    public const double MaxSnapM = 5;

    /// <summary>A geometry that passed the type and validity rules: EWKB in EPSG:4326, and what a repair did (or null).</summary>
    public sealed record Candidate(byte[] Ewkb, Dictionary<string, object?>? Repair);

    /// <summary>Parses and checks the type and validity; returns the candidate or the 422 problem.</summary>
    public static async Task<(Candidate? Candidate, RuleProblem? Problem)> NormalizeAsync(
        NpgsqlDataSource db, string geoJson, int srid, bool repair, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(NormalizeSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = geoJson, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = srid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = repair });
        try
        {
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var type = reader.GetString(0);
            var empty = reader.GetBoolean(1);
            var valid = reader.GetBoolean(2);
            var reason = reader.IsDBNull(3) ? null : reader.GetString(3);
            var location = reader.IsDBNull(4) ? null : reader.GetString(4);
            if (type is not ("POLYGON" or "MULTIPOLYGON") || empty)
                return (null, RuleProblem.Unprocessable("geometry-type", "Not a polygon",
                    $"A parcel must be a non-empty Polygon or MultiPolygon; this geometry is {(empty ? "an empty " : "a ")}{type}."));
            if (!valid && !repair)
                return (null, RuleProblem.Unprocessable("invalid-geometry", "Invalid geometry",
                    $"{reason}{(location is null ? "" : " at " + location)}. Fix it, or send ?repair=true to repair it with ST_MakeValid.",
                    new Dictionary<string, object?> { ["reason"] = reason, ["location"] = location }));
            var ewkb = (byte[])reader.GetValue(5);
            var repairReport = valid ? null : new Dictionary<string, object?>
            {
                ["method"] = "ST_MakeValid",
                ["reason"] = reason,
                ["location"] = location,
            };
            return (new Candidate(ewkb, repairReport), null);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InternalError || e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            return (null, RuleProblem.Unprocessable("invalid-geojson", "Unreadable geometry",
                "PostGIS cannot read the geometry: " + e.MessageText));
        }
    }

    /// <summary>
    /// Snaps the candidate's vertices to active neighbouring parcels within <paramref name="toleranceM"/> metres
    /// (PostGIS <c>ST_Snap</c> in the local UTM zone), in the caller's transaction. Returns the candidate to check and
    /// store, and a report of what snapped (null when nothing was near); a snap that would make the parcel invalid is
    /// skipped and reported.
    /// </summary>
    public static async Task<(Candidate Candidate, Dictionary<string, object?>? Report)> SnapAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, Candidate candidate, int cityId, long? exclude, double toleranceM, CancellationToken ct)
    {
        if (toleranceM <= 0) return (candidate, null);
        await using var cmd = new NpgsqlCommand(SnapSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = candidate.Ewkb, NpgsqlDbType = NpgsqlDbType.Bytea });
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)exclude ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = toleranceM });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return (candidate, null);
        return ReadSnap(reader, 0, candidate, toleranceM);
    }

    /// <summary>A snap row (columns from <paramref name="at"/> on: snapped EWKB or null, neighbours, largest shift,
    /// vertices before and after, valid) as the candidate to check and store, and the report of what snapped.</summary>
    internal static (Candidate Candidate, Dictionary<string, object?> Report) ReadSnap(NpgsqlDataReader reader, int at, Candidate candidate, double toleranceM)
    {
        var moved = !reader.IsDBNull(at);
        var report = new Dictionary<string, object?>
        {
            ["method"] = "ST_Snap",
            ["toleranceM"] = toleranceM,
            ["neighbours"] = (string[])reader.GetValue(at + 1),
            ["snapped"] = moved,
            ["maxShiftM"] = Math.Round(reader.GetDouble(at + 2), 3),
            ["verticesBefore"] = reader.GetInt32(at + 3),
            ["verticesAfter"] = reader.GetInt32(at + 4),
        };
        if (!reader.GetBoolean(at + 5)) report["skipped"] = "Snapping would make the parcel invalid; it was kept as drawn.";
        return (moved ? candidate with { Ewkb = (byte[])reader.GetValue(at) } : candidate, report);
    }

    /// <summary>Checks district, area, overlaps and code in the caller's transaction; null when every rule holds.</summary>
    public static async Task<RuleProblem?> CheckAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, Candidate candidate, int cityId, string citySlug, string district,
        string code, long? exclude, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(RulesSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = candidate.Ewkb, NpgsqlDbType = NpgsqlDbType.Bytea });
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = district, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)exclude ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = code, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = OverlapToleranceM2 });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return ReadCheck(reader, 0, citySlug, district, code);
    }

    /// <summary>A rules row (columns from <paramref name="at"/> on: district exists, inside it, area in m², conflicts as
    /// JSON, code taken) as the first rule it breaks, or null when every rule holds.</summary>
    internal static RuleProblem? ReadCheck(NpgsqlDataReader reader, int at, string citySlug, string district, string code)
    {
        if (!reader.GetBoolean(at))
            return RuleProblem.Unprocessable("district-not-found", "Unknown district",
                $"{citySlug} has no district '{district}'.");
        if (!reader.GetBoolean(at + 1))
            return RuleProblem.Unprocessable("outside-district", "Outside its district",
                $"The parcel is not inside district {citySlug}:{district} (1 m tolerance).");
        var area = reader.GetDouble(at + 2);
        if (area is < MinAreaM2 or > MaxAreaM2)
            return RuleProblem.Unprocessable("implausible-area", "Implausible area",
                string.Create(CultureInfo.InvariantCulture, $"The parcel's area is {area:0.##} m²; a parcel must have between {MinAreaM2:0} m² and {MaxAreaM2:0} m²."),
                new Dictionary<string, object?> { ["areaM2"] = Math.Round(area, 2) });
        using var conflicts = JsonDocument.Parse(reader.GetString(at + 3));
        if (conflicts.RootElement.GetArrayLength() > 0)
        {
            var list = string.Join("; ", conflicts.RootElement.EnumerateArray().Select(c =>
                string.Create(CultureInfo.InvariantCulture, $"{c.GetProperty("code").GetString()} by {c.GetProperty("overlapM2").GetDecimal()} m²")));
            return RuleProblem.Unprocessable("overlap", "Overlaps registered parcels",
                string.Create(CultureInfo.InvariantCulture, $"The parcel overlaps active parcels beyond the tolerance of {OverlapToleranceM2} m²: {list}."),
                new Dictionary<string, object?>
                {
                    ["conflicts"] = conflicts.RootElement.Clone(),
                    ["location"] = conflicts.RootElement[0].GetProperty("overlap").GetString(),
                });
        }
        if (reader.GetBoolean(at + 4))
            return RuleProblem.Unprocessable("code-taken", "Code already used",
                $"The code {code} is already used in {citySlug}; codes are never reused.");
        return null;
    }

    internal static string Embedded(string name)
    {
        using var stream = typeof(RegistrationRules).Assembly.GetManifestResourceStream("UrbanMonitor.Database.Registration." + name)
            ?? throw new InvalidOperationException($"Embedded SQL {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
