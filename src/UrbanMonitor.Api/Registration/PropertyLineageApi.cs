using UrbanMonitor.Api.Audit;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using UrbanMonitor.Database.Registration;
using NpgsqlTypes;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Domain.Codes;
using UrbanMonitor.Domain.Geometry;
using UrbanMonitor.Domain.Text;
using UrbanMonitor.Api.Transactions;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;
using R = UrbanMonitor.Api.Registration.RegistrationApi;

namespace UrbanMonitor.Api.Registration;

/// <summary>Stable RFC 9457 problem types of splits and merges.</summary>
public static class LineageProblems
{
    public const string SplitCoverage = Problems.Prefix + "split-coverage";
    public const string SplitOverlap = Problems.Prefix + "split-overlap";
    public const string NotAdjacent = Problems.Prefix + "not-adjacent";
    public const string MergeMismatch = Problems.Prefix + "merge-mismatch";
}

/// <summary>
/// Splits (<c>POST /api/properties/{id}/split</c>) and merges (<c>POST /api/properties/merge</c>) with lineage. Each is
/// one transaction under the same city lock, permissions, <c>If-Match</c> and geometry rules as an edit: the parents are
/// retired (a new version, nothing deleted, its rights ended), the children are new surveyed properties, and
/// <c>property_lineage</c> links them (shown in the Feature's <c>lineage</c> and in the history). A split's children
/// carry the parent's rights; a merge carries them when every parent is held by the same parties in the same shares.
/// A sale of part of a registered property is a transaction (kind <c>subdivision</c>) that reuses the split here.
/// </summary>
public static class PropertyLineageApi
{
    /// <summary>A split's children must cover the parent: gaps, spill-over and the area difference up to this (m²) are survey noise.</summary>
    public const double SplitToleranceM2 = 1.0;
    /// <summary>Parcels within this distance (m) of each other count as adjacent for a merge.</summary>
    public const double AdjacencyM = 0.2;

    private static readonly string SplitLineSql = Sql.Load("Registration/split_line.sql");
    private static readonly string SplitCheckSql = Sql.Load("Registration/split_check.sql");
    private static readonly string MergeCheckSql = Sql.Load("Registration/merge_check.sql");
    private static readonly string LineagePutSql = Sql.Load("Registration/lineage_put.sql");
    private static readonly string CarryRightsSql = Sql.Load("Registration/carry_rights.sql");
    private static readonly string SameHoldersSql = Sql.Load("Registration/same_holders.sql");

    internal static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/{id:long}/split", (long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => R.Guard(() => Split(id, http, db, ct)))
            .RequireAuthorization().WithName("SplitProperty")
            .WithSummary("Split a property into children (a FeatureCollection of their polygons, or a Feature with a cutting line); If-Match required")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapPost("/merge", (HttpContext http, NpgsqlDataSource db, CancellationToken ct) => R.Guard(() => Merge(http, db, ct)))
            .RequireAuthorization().WithName("MergeProperties")
            .WithSummary("Merge adjacent properties of one block into a new parcel ({\"ids\", \"parcel\", \"reason\"}; If-Match lists their ETags in order)")
            .Produces(StatusCodes.Status201Created, contentType: "application/geo+json")
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
    }

    private static IResult Invalid(string detail) => P.Unprocessable(P.InvalidProperty, "Invalid request", detail);

    private static string Reason(HttpRequest request, JsonElement root, string fallback)
    {
        if (request.Query["reason"].ToString() is { Length: > 0 } q) return q;
        if (root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() is { Length: > 0 } b) return b;
        if (root.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object &&
            p.TryGetProperty("reason", out r) && r.ValueKind == JsonValueKind.String && r.GetString() is { Length: > 0 } f) return f;
        return fallback;
    }

    internal static async Task<IResult> Split(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var expected = R.IfMatch(http.Request);
        if (expected is null)
            return P.Problem(StatusCodes.Status428PreconditionRequired, P.PreconditionRequired, "If-Match required",
                "Send If-Match with the ETag of the version you are splitting.");
        var (doc, _, bodyProblem) = await R.ReadBodyAsync(http.Request, ct);
        if (bodyProblem is not null) return bodyProblem;
        using var _ = doc;
        var root = doc!.RootElement;
        if (JsonBody.UnstorableText(root, "") is { } unstorable) return Invalid(unstorable);
        var (srid, crsProblem) = R.ReadCrs(http.Request, root);
        if (crsProblem is not null) return crsProblem;

        // Either the children's polygons or a cutting line.
        var children = new List<byte[]>();
        string? line = null;
        var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type == "FeatureCollection")
        {
            if (!root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Array)
                return Invalid("A FeatureCollection needs a 'features' array.");
            var i = 0;
            foreach (var f in features.EnumerateArray())
            {
                i++;
                if (f.ValueKind != JsonValueKind.Object || !f.TryGetProperty("geometry", out var g) || g.ValueKind != JsonValueKind.Object)
                    return Invalid($"Child {i} has no geometry.");
                if (GeoJsonPositions.Problem(g, $"features[{i - 1}].geometry") is { } malformed)
                    return P.Unprocessable(P.InvalidGeoJson, "Invalid GeoJSON", malformed);
                var (candidate, problem) = await RegistrationRules.NormalizeAsync(db, g.GetRawText(), srid, R.Repair(http.Request), ct);
                if (problem is not null) return P.From(problem);
                children.Add(candidate!.Ewkb);
            }
            if (children.Count < 2) return Invalid("A split needs at least two children.");
        }
        else
        {
            var geometry = type == "Feature" && root.TryGetProperty("geometry", out var g) ? g : root;
            var gtype = geometry.ValueKind == JsonValueKind.Object && geometry.TryGetProperty("type", out var gt) && gt.ValueKind == JsonValueKind.String ? gt.GetString() : null;
            if (gtype is not ("LineString" or "MultiLineString"))
                return Invalid("Send the children as a FeatureCollection of polygons, or a cutting line (a LineString, or a Feature with one).");
            if (GeoJsonPositions.Problem(geometry, type == "Feature" ? "geometry" : "line") is { } malformed)
                return P.Unprocessable(P.InvalidGeoJson, "Invalid GeoJSON", malformed);
            line = geometry.GetRawText();
        }
        var reason = Reason(http.Request, root, "split");
        if (TextRules.Problem("reason", reason, 2000) is { } badReason) return Invalid(badReason);
        var user = R.UserId(http.User);

        return await R.ChangeAsync(id, http, db, expected, R.Writers, ct, async (conn, tx, row) =>
        {
            if (row.Status == "retired")
                return (null, P.Problem(StatusCodes.Status409Conflict, P.StatusConflict, "Retired", $"{row.Code} is retired; it cannot be split."));
            if (line is not null)
            {
                await using var cut = new NpgsqlCommand(SplitLineSql, conn, tx);
                cut.Parameters.Add(new NpgsqlParameter { Value = id });
                cut.Parameters.Add(new NpgsqlParameter { Value = line, NpgsqlDbType = NpgsqlDbType.Text });
                cut.Parameters.Add(new NpgsqlParameter { Value = srid });
                children.AddRange((byte[][])(await cut.ExecuteScalarAsync(ct))!);
                if (children.Count < 2)
                    return (null, Invalid($"The cutting line does not cut {row.Code} into two or more pieces: it must cross the parcel from edge to edge."));
            }

            var (created, problem) = await CreateChildrenAsync(conn, tx, row, id, children, user, ct);
            if (problem is not null) return (null, problem);
            // The children hold what the parent held: its current rights carry over, and the retired parent's end.
            foreach (var child in created!) await CarryRightsAsync(conn, tx, row.CityId, id, child, null, ct);
            await CloseRightsAsync(conn, tx, row.CityId, id, ct);
            return (new R.Change(null, null, "retired", reason, null), null);
        });
    }

    internal static async Task<IResult> Merge(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (doc, _, bodyProblem) = await R.ReadBodyAsync(http.Request, ct);
        if (bodyProblem is not null) return bodyProblem;
        using var _ = doc;
        var root = doc!.RootElement;
        if (JsonBody.UnstorableText(root, "") is { } unstorable) return Invalid(unstorable);
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("ids", out var idsJson) || idsJson.ValueKind != JsonValueKind.Array)
            return Invalid("The body must be {\"ids\": [property ids], \"parcel\": new parcel number, \"reason\": …}.");
        var ids = new List<long>();
        foreach (var e in idsJson.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var v)) return Invalid("'ids' must hold property ids (integers).");
            ids.Add(v);
        }
        if (ids.Distinct().Count() != ids.Count || ids.Count < 2) return Invalid("A merge needs at least two different property ids.");
        var parcel = root.TryGetProperty("parcel", out var pj) ? pj.ValueKind switch
        {
            JsonValueKind.String => pj.GetString(),
            JsonValueKind.Number => pj.GetRawText(),
            _ => null,
        } : null;
        if (string.IsNullOrWhiteSpace(parcel) || !PropertyCode.IsValidPart(parcel))
            return Invalid("'parcel' (the new parcel number in the block) is missing or cannot stand in a code: no hyphens, slashes or spaces.");
        var header = http.Request.Headers.IfMatch.ToString();
        if (header.Length == 0)
            return P.Problem(StatusCodes.Status428PreconditionRequired, P.PreconditionRequired, "If-Match required",
                "Send If-Match with the ETags of the properties you merge, in the order of 'ids' (e.g. If-Match: \"v1\", \"v3\").");
        var etags = header.Split(',').Select(s => s.Trim()).Select(s => s.StartsWith("W/", StringComparison.Ordinal) ? s[2..] : s).ToList();
        if (etags.Count != ids.Count)
            return P.Problem(StatusCodes.Status428PreconditionRequired, P.PreconditionRequired, "If-Match required",
                $"If-Match has {etags.Count} ETags for {ids.Count} properties; send one per id, in order.");
        var reason = Reason(http.Request, root, "merge");
        if (TextRules.Problem("reason", reason, 2000) is { } badReason) return Invalid(badReason);
        var user = R.UserId(http.User);

        await using var conn = await db.OpenConnectionAsync(ct);
        var cities = new Dictionary<long, int>();
        await using (var find = new NpgsqlCommand("SELECT id, city_id FROM properties WHERE id = ANY ($1)", conn))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
            await using var reader = await find.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) cities[reader.GetInt64(0)] = reader.GetInt32(1);
        }
        if (ids.FirstOrDefault(i => !cities.ContainsKey(i)) is var missing and not 0)
            return P.Problem(StatusCodes.Status404NotFound, P.PropertyNotFound, "Property not found", $"There is no property {missing}.");
        if (cities.Values.Distinct().Count() > 1)
            return P.Unprocessable(LineageProblems.MergeMismatch, "Different cities", "Only properties of one city and district can be merged.");

        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        var cityId = cities[ids[0]];
        await R.LockCityAsync(conn, tx, cityId, ct);
        var rows = new List<R.Row>();
        foreach (var (pid, etag) in ids.Zip(etags).OrderBy(x => x.First))
        {
            var row = (await R.LockRowAsync(conn, tx, pid, ct))!;
            if (R.Forbidden(http.User, R.Writers, row.Slug, row.District) is { } forbidden) return forbidden;
            if (etag != R.ETag(row.Version))
                return P.Problem(StatusCodes.Status412PreconditionFailed, P.PreconditionFailed, "Stale version",
                    $"{row.Code} has changed: its current ETag is {R.ETag(row.Version)}. GET it again and retry.",
                    new Dictionary<string, object?> { ["currentETag"] = R.ETag(row.Version), ["id"] = pid });
            if (row.Status == "retired")
                return P.Problem(StatusCodes.Status409Conflict, P.StatusConflict, "Retired", $"{row.Code} is retired; it cannot be merged.");
            rows.Add(row);
        }
        if (rows.Select(r => r.District).Distinct().Count() > 1)
            return P.Unprocessable(LineageProblems.MergeMismatch, "Different districts",
                $"Only properties of one district can be merged: {string.Join(", ", rows.Select(r => r.Code))}.");
        if (rows.Select(r => r.Status).Distinct().Count() > 1)
            return P.Unprocessable(LineageProblems.MergeMismatch, "Different statuses",
                $"Only properties of the same status can be merged: {string.Join(", ", rows.Select(r => r.Code + " is " + r.Status))}.");

        byte[] union;
        string cityCode, block;
        await using (var check = new NpgsqlCommand(MergeCheckSql, conn, tx))
        {
            check.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
            check.Parameters.Add(new NpgsqlParameter { Value = AdjacencyM });
            await using var reader = await check.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            union = (byte[])reader.GetValue(0);
            var groups = reader.GetInt64(1);
            var blocks = (string[])reader.GetValue(2);
            cityCode = reader.GetString(4);
            if (groups != 1)
                return P.Unprocessable(LineageProblems.NotAdjacent, "Not adjacent",
                    Inv($"The properties form {groups} separate groups; each must touch another (within {AdjacencyM} m)."));
            if (blocks.Length != 1)
                return P.Unprocessable(LineageProblems.MergeMismatch, "Different blocks",
                    $"Only properties of one block can be merged; these lie in blocks {string.Join(", ", blocks)}.");
            block = blocks[0];
        }
        var district = rows[0].District;
        foreach (var parent in ids)
            await R.WriteVersionAsync(conn, tx, cityId, parent, new R.Change(null, null, "retired", reason, null), user, ct);
        var code = $"{cityCode}-{district}-{block}-{parcel}";
        // The parents are retired now, so the rules see only the other active parcels.
        if (await RegistrationRules.CheckAsync(conn, tx, new RegistrationRules.Candidate(union, null), cityId, rows[0].Slug, district, code, null, ct) is { } problem)
            return P.From(problem);
        var (id, version) = await PropertyWrites.InsertAsync(conn, tx, cityId, code, district, block, parcel, "{}", union, user, ct);
        foreach (var parent in ids) await PutLineageAsync(conn, tx, cityId, id, parent, "merge", user, ct);
        // Parcels held by the same people in the same shares merge with their rights; otherwise the merged parcel starts
        // without rights (who holds what of it is a legal act of its own, recorded when it is verified).
        bool sameHolders;
        await using (var same = new NpgsqlCommand(SameHoldersSql, conn, tx))
        {
            same.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
            same.Parameters.Add(new NpgsqlParameter { Value = cityId });
            sameHolders = (bool)(await same.ExecuteScalarAsync(ct))!;
        }
        if (sameHolders) await CarryRightsAsync(conn, tx, cityId, ids[0], id, null, ct);
        foreach (var parent in ids) await CloseRightsAsync(conn, tx, cityId, parent, ct);
        var feature = await R.FeatureAsync(conn, tx, id, null, true, ct) ?? throw new InvalidOperationException("The merged property cannot be read back.");
        await tx.CommitAsync(ct);
        http.Response.Headers.Location = "/api/properties/" + id.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers.ETag = R.ETag(version);
        return Results.Text(feature, R.GeoJson, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>Checks that <paramref name="children"/> (EWKB, EPSG:4326) cover the parent <paramref name="id"/> within the
    /// tolerances, each passes the registration rules, and inserts them as new surveyed properties coded
    /// <c>{parent}/1</c>, <c>/2</c>… with lineage to the parent; returns their ids in order, or the problem. The caller
    /// holds the city lock and retires the parent.</summary>
    internal static async Task<(List<long>? Children, IResult? Problem)> CreateChildrenAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        R.Row row, long id, IReadOnlyList<byte[]> children, string user, CancellationToken ct)
    {
        await using var check = new NpgsqlCommand(SplitCheckSql, conn, tx);
        check.Parameters.Add(new NpgsqlParameter { Value = id });
        check.Parameters.Add(new NpgsqlParameter { Value = children.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        check.Parameters.Add(new NpgsqlParameter { Value = RegistrationRules.OverlapToleranceM2 });
        string block, parcel, attributes;
        await using (var reader = await check.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            var parentM2 = reader.GetDouble(0);
            var childrenM2 = reader.GetDouble(1);
            var gapM2 = reader.GetDouble(2);
            var excessM2 = reader.GetDouble(4);
            var areas = new Dictionary<string, object?>
            {
                ["parentAreaM2"] = Math.Round(parentM2, 2), ["childrenAreaM2"] = Math.Round(childrenM2, 2),
                ["differenceM2"] = Math.Round(childrenM2 - parentM2, 2), ["toleranceM2"] = SplitToleranceM2,
            };
            if (gapM2 > SplitToleranceM2)
                return (null, P.Unprocessable(LineageProblems.SplitCoverage, "Children do not cover the parent",
                    Inv($"{gapM2:0.##} m² of {row.Code} is in no child (tolerance {SplitToleranceM2} m²), e.g. at {reader.GetString(3)}."),
                    new Dictionary<string, object?>(areas) { ["gapM2"] = Math.Round(gapM2, 2), ["location"] = reader.GetString(3) }));
            if (excessM2 > SplitToleranceM2)
                return (null, P.Unprocessable(LineageProblems.SplitCoverage, "Children reach outside the parent",
                    Inv($"{excessM2:0.##} m² of the children lies outside {row.Code} (tolerance {SplitToleranceM2} m²), e.g. at {reader.GetString(5)}."),
                    new Dictionary<string, object?>(areas) { ["outsideM2"] = Math.Round(excessM2, 2), ["location"] = reader.GetString(5) }));
            using var overlaps = JsonDocument.Parse(reader.GetString(6));
            if (overlaps.RootElement.GetArrayLength() > 0)
            {
                var first = overlaps.RootElement[0];
                return (null, P.Unprocessable(LineageProblems.SplitOverlap, "Children overlap",
                    Inv($"Children {first.GetProperty("children")[0]} and {first.GetProperty("children")[1]} overlap by {first.GetProperty("overlapM2").GetDecimal()} m² (tolerance {RegistrationRules.OverlapToleranceM2} m²) at {first.GetProperty("location").GetString()}."),
                    new Dictionary<string, object?>(areas) { ["overlaps"] = overlaps.RootElement.Clone(), ["location"] = first.GetProperty("location").GetString() }));
            }
            if (Math.Abs(childrenM2 - parentM2) > SplitToleranceM2)
                return (null, P.Unprocessable(LineageProblems.SplitCoverage, "Area not conserved",
                    Inv($"The children have {childrenM2:0.##} m², the parent {parentM2:0.##} m²: a difference of {childrenM2 - parentM2:0.##} m² (tolerance {SplitToleranceM2} m²)."),
                    areas));
            block = reader.GetString(7);
            parcel = reader.GetString(8);
            attributes = reader.GetString(9);
        }

        var created = new List<long>();
        for (var i = 0; i < children.Count; i++)
        {
            var suffix = "/" + (i + 1).ToString(CultureInfo.InvariantCulture);
            var code = row.Code + suffix;
            if (await RegistrationRules.CheckAsync(conn, tx, new RegistrationRules.Candidate(children[i], null), row.CityId, row.Slug, row.District,
                    code, id, ct) is { } problem)
                return (null, P.From(problem));
            var (child, _) = await PropertyWrites.InsertAsync(conn, tx, row.CityId, code, row.District, block, parcel + suffix, attributes, children[i], user, ct);
            await PutLineageAsync(conn, tx, row.CityId, child, id, "split", user, ct);
            created.Add(child);
        }
        return (created, null);
    }

    /// <summary>Gives <paramref name="child"/> the current rights of <paramref name="parent"/> (the same parties and
    /// shares, valid from now); only those of <paramref name="kinds"/> when given.</summary>
    internal static async Task CarryRightsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, long parent, long child, string[]? kinds, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(CarryRightsSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = parent });
        cmd.Parameters.Add(new NpgsqlParameter { Value = child });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)kinds ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Ends the current rights of a property that is retired (they live on in its children, or in history).</summary>
    internal static async Task CloseRightsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, long property, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("UPDATE rights SET valid_to = now() WHERE city_id = $1 AND property_id = $2 AND (valid_to IS NULL OR valid_to > now())", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = property });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task PutLineageAsync(NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, long child, long parent, string operation, string user, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(LineagePutSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = child });
        cmd.Parameters.Add(new NpgsqlParameter { Value = parent });
        cmd.Parameters.Add(new NpgsqlParameter { Value = operation, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = user, NpgsqlDbType = NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
