using System.Globalization;
using System.Text.Json;
using Npgsql;
using UrbanMonitor.Domain.Geometry;
using UrbanMonitor.Database.Registration;
using NpgsqlTypes;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;
using R = UrbanMonitor.Api.Registration.RegistrationApi;

namespace UrbanMonitor.Api.Transactions;

/// <summary>
/// Subdivision by sale of part: a transaction (kind <c>subdivision</c>) whose body names the sold part as a polygon
/// (<c>part</c>, GeoJSON, in EPSG:4326 or the <c>crs</c> query parameter) and its buyers in <c>open</c>. When a
/// supervisor approves it the parent is split, through the same checks as <c>POST /api/properties/{id}/split</c>, into
/// the remainder (<c>{code}/1</c>, kept by the owners) and the part (<c>{code}/2</c>, owned by the buyers); both
/// carry the parent's encumbrances (a mortgage follows the land), both are registered at once (the supervisor's approval
/// is the second pair of eyes), and the parent is retired with its rights ended.
/// </summary>
internal static class Subdivision
{
    public const string Kind = "subdivision";
    public const string InvalidPart = Problems.Prefix + "invalid-part";

    private static readonly string PartSql = Sql.Load("Transactions/subdivision_part.sql");
    private static readonly string PiecesSql = Sql.Load("Transactions/subdivision_pieces.sql");
    private static readonly string[] EncumbranceKinds = ["lease", "mortgage", "encumbrance"];

    /// <summary>The part from the body, normalised like any parcel (type, validity, CRS); EWKB in EPSG:4326.</summary>
    public static async Task<(byte[]? Ewkb, IResult? Problem)> ReadPartAsync(JsonElement body, HttpRequest request, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!body.TryGetProperty("part", out var part) || part.ValueKind != JsonValueKind.Object)
            return (null, P.Unprocessable(InvalidPart, "Part missing", "A subdivision needs the sold part as a GeoJSON Polygon or MultiPolygon in 'part'."));
        var geometry = part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "Feature" &&
                       part.TryGetProperty("geometry", out var g) ? g : part;
        if (GeoJsonPositions.Problem(geometry, "part") is { } malformed) return (null, P.Unprocessable(P.InvalidGeoJson, "Invalid GeoJSON", malformed));
        var (srid, crsProblem) = R.ReadCrs(request, part);
        if (crsProblem is not null) return (null, crsProblem);
        var (candidate, problem) = await RegistrationRules.NormalizeAsync(db, geometry.GetRawText(), srid, false, ct);
        return problem is not null ? (null, P.From(problem)) : (candidate!.Ewkb, null);
    }

    /// <summary>Checks the part against the parent: inside it (within the split tolerance), a real piece of it and not the
    /// whole; returns the part clipped to the parent as GeoJSON (what the transaction keeps), or the problem.</summary>
    public static async Task<(JsonElement? Part, IResult? Problem)> CheckPartAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long property, string code,
        byte[] ewkb, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(PartSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = property });
        cmd.Parameters.Add(new NpgsqlParameter { Value = ewkb, NpgsqlDbType = NpgsqlDbType.Bytea });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var insideM2 = reader.GetDouble(0);
        var outsideM2 = reader.GetDouble(1);
        var remainderM2 = reader.GetDouble(3);
        var tolerance = PropertyLineageApi.SplitToleranceM2;
        var areas = new Dictionary<string, object?>
        {
            ["partAreaM2"] = Math.Round(insideM2, 2), ["remainderAreaM2"] = Math.Round(remainderM2, 2), ["toleranceM2"] = tolerance,
        };
        if (outsideM2 > tolerance)
            return (null, P.Unprocessable(InvalidPart, "Part outside the property",
                Inv($"{outsideM2:0.##} m² of the part lies outside {code} (tolerance {tolerance} m²), e.g. at {reader.GetString(2)}."),
                new Dictionary<string, object?>(areas) { ["outsideM2"] = Math.Round(outsideM2, 2), ["location"] = reader.GetString(2) }));
        if (insideM2 <= tolerance)
            return (null, P.Unprocessable(InvalidPart, "Part not in the property", $"The part does not cover any of {code}.", areas));
        if (remainderM2 <= tolerance)
            return (null, P.Unprocessable(InvalidPart, "Part is the whole property",
                $"The part covers all of {code}; a sale of the whole property is a transaction of kind sale.", areas));
        using var clipped = JsonDocument.Parse(reader.GetString(4));
        return (clipped.RootElement.Clone(), null);
    }

    /// <summary>Applies an approved subdivision under the city lock: children created and registered, rights carried
    /// and given, the parent retired. Returns the parent's new (retired) version, or the problem.</summary>
    public static async Task<(int? Version, IResult? Problem)> ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, R.Row row, long property,
        long transaction, TransactionChanges changes, string lodgedBy, string? reason, string user, CancellationToken ct)
    {
        if (changes.Part is not { } part) throw new InvalidOperationException($"Subdivision {transaction} has no part.");
        byte[] remainder, piece;
        await using (var cmd = new NpgsqlCommand(PiecesSql, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = property });
            cmd.Parameters.Add(new NpgsqlParameter { Value = part.GetRawText(), NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            remainder = (byte[])reader.GetValue(0);
            piece = (byte[])reader.GetValue(1);
        }
        // The children are the lodging officer's survey; the supervisor's approval registers them.
        var (children, problem) = await PropertyLineageApi.CreateChildrenAsync(conn, tx, row, property, [remainder, piece], lodgedBy, ct);
        if (problem is not null) return (null, problem);
        var what = Inv($"{Kind} (transaction {transaction})") + (reason is null ? "" : ": " + reason);
        await PropertyLineageApi.CarryRightsAsync(conn, tx, row.CityId, property, children![0], null, ct);
        await PropertyLineageApi.CarryRightsAsync(conn, tx, row.CityId, property, children[1], EncumbranceKinds, ct);
        foreach (var buyer in changes.Open)
            await PropertyWrites.AddRightAsync(conn, tx, row.CityId, children[1], new RightInput(buyer.Kind, buyer.Share, buyer.PartyKind, buyer.PartyName, buyer.IdDocument), buyer.Until, ct);
        foreach (var child in children)
            await R.WriteVersionAsync(conn, tx, row.CityId, child, new R.Change(null, null, "registered", what, null), user, ct);
        await PropertyLineageApi.CloseRightsAsync(conn, tx, row.CityId, property, ct);
        var version = await R.WriteVersionAsync(conn, tx, row.CityId, property, new R.Change(null, null, "retired", what, null), user, ct);
        return (version, null);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
