using UrbanMonitor.Api.Audit;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using UrbanMonitor.Database.Registration;
using NpgsqlTypes;
using UrbanMonitor.Api.Disputes;
using UrbanMonitor.Api.Documents;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Transactions;

/// <summary>One new right of a transaction: a party and its share, of kind ownership, lease, mortgage or encumbrance.</summary>
public sealed record NewRight(string Kind, decimal Share, string PartyKind, string PartyName, string? IdDocument, DateTimeOffset? Until);

/// <summary>What a transaction changes: the current rights it closes and the rights it opens; for a subdivision also the
/// sold part (GeoJSON MultiPolygon in EPSG:4326, clipped to the property).</summary>
public sealed record TransactionChanges(IReadOnlyList<long> Close, IReadOnlyList<NewRight> Open, JsonElement? Part = null);

/// <summary>
/// Registry transactions on registered properties: transfer (sale, gift, inheritance), lease, mortgage and other
/// encumbrances, their discharge, and correction of errors. A land officer of the district lodges one with its source
/// document; a supervisor other than the lodger approves (applies it: rights closed and opened at one instant and a
/// new property version, so history and <c>?at=</c> show it) or rejects it. Nothing changes before approval.
/// </summary>
public static class TransactionsApi
{
    public const string InvalidTransaction = Problems.Prefix + "invalid-transaction";
    public const string TransactionNotFound = Problems.Prefix + "transaction-not-found";
    public const string TransactionPending = Problems.Prefix + "transaction-pending";
    public const string StaleTransaction = Problems.Prefix + "stale-transaction";

    private static readonly string[] Transfers = ["sale", "gift", "inheritance"];
    private static readonly string[] Encumbrances = ["lease", "mortgage", "encumbrance"];
    private static readonly string[] Kinds = [.. Transfers, .. Encumbrances, "discharge", "correction", Subdivision.Kind];
    private static readonly string[] OwnershipKinds = ["ownership", "occupancy-certificate", "customary", "informal-occupancy"];

    private static readonly string CurrentRightsSql = Sql.Load("Transactions/current_rights.sql");
    private static readonly string InsertSql = Sql.Load("Transactions/insert.sql");
    private static readonly string ReadSql = Sql.Load("Transactions/read.sql");
    private static readonly string DecideSql = Sql.Load("Transactions/decide.sql");

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapTransactionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/properties/{id:long}/transactions", Lodge).RequireAuthorization().WithTags("Transactions").WithName("LodgeTransaction")
            .WithSummary("Lodge a transaction on a registered property (land officer): {kind, documentId, reason?, close?: [rightId], open?: [{party, share, kind?, until?}]}")
            .Produces(StatusCodes.Status201Created, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapGet("/api/properties/{id:long}/transactions", List).RequireAuthorization().WithTags("Transactions").WithName("ListTransactions")
            .WithSummary("The transactions of a property, in order (staff)");
        app.MapGet("/api/transactions/{id:long}", Get).RequireAuthorization().WithTags("Transactions").WithName("GetTransaction")
            .WithSummary("One transaction (staff)");
        app.MapPost("/api/transactions/{id:long}/approve", Approve).RequireAuthorization().WithTags("Transactions").WithName("ApproveTransaction")
            .WithSummary("Approve and apply a lodged transaction (supervisor other than the lodger); answers the property's new version")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        app.MapPost("/api/transactions/{id:long}/reject", Reject).RequireAuthorization().WithTags("Transactions").WithName("RejectTransaction")
            .WithSummary("Reject a lodged transaction with a reason ({reason}; supervisor other than the lodger)");
        return app;
    }

    private sealed record CurrentRight(long Id, string Kind, decimal Share);

    private static async Task<List<CurrentRight>> CurrentRightsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long propertyId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(CurrentRightsSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = propertyId });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<CurrentRight>();
        while (await reader.ReadAsync(ct)) list.Add(new CurrentRight(reader.GetInt64(0), reader.GetString(1), reader.GetDecimal(2)));
        return list;
    }

    /// <summary>Parses the new rights; throws <see cref="FormatException"/> with a reason.</summary>
    private static List<NewRight> ParseOpen(JsonElement body, string defaultKind)
    {
        var list = new List<NewRight>();
        if (!body.TryGetProperty("open", out var open)) return list;
        if (open.ValueKind != JsonValueKind.Array) throw new FormatException("open must be an array of new rights.");
        var i = 0;
        foreach (var r in open.EnumerateArray())
        {
            var at = $"open[{i++}]";
            if (r.ValueKind != JsonValueKind.Object) throw new FormatException($"{at} must be an object.");
            if (!r.TryGetProperty("party", out var party) || party.ValueKind != JsonValueKind.Object || party.Text("name") is not { } name)
                throw new FormatException($"{at}.party must be an object with a name.");
            var partyKind = party.Text("kind") ?? "person";
            if (partyKind is not ("person" or "group" or "organisation")) throw new FormatException($"{at}.party.kind must be person, group or organisation.");
            var share = 1m;
            if (r.TryGetProperty("share", out var s))
            {
                if (s.ValueKind != JsonValueKind.Number || !s.TryGetDecimal(out share)) throw new FormatException($"{at}.share must be a number.");
                if (share <= 0 || share > 1) throw new FormatException($"{at}.share must be in (0, 1].");
            }
            DateTimeOffset? until = null;
            if (r.Text("until") is { } u)
            {
                if (!RegistrationApi.TryParseAt(u, out until)) throw new FormatException($"{at}.until must be an RFC 3339 time or a date.");
            }
            list.Add(new NewRight(r.Text("kind") ?? defaultKind, share, partyKind, name, party.Text("idDocument"), until));
        }
        return list;
    }

    private static List<long> ParseClose(JsonElement body)
    {
        if (!body.TryGetProperty("close", out var close)) return [];
        if (close.ValueKind != JsonValueKind.Array || close.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out _)))
            throw new FormatException("close must be an array of right ids (the rights field of GET /api/properties/{id}).");
        return [.. close.EnumerateArray().Select(e => e.GetInt64()).Distinct()];
    }

    /// <summary>The rules of each kind of transaction against the property's current rights; null when it may be lodged,
    /// otherwise the reason. Fills in the rights a transfer closes when the lodger gave none (all the owners').</summary>
    internal static string? Check(string kind, string? reason, List<long> close, List<NewRight> open, IReadOnlyList<(long Id, string Kind, decimal Share)> current)
    {
        var byId = current.ToDictionary(r => r.Id);
        foreach (var id in close)
            if (!byId.ContainsKey(id)) return $"Right {id} is not a current right of this property.";
        if (Transfers.Contains(kind))
        {
            if (close.Count == 0) close.AddRange(current.Where(r => OwnershipKinds.Contains(r.Kind)).Select(r => r.Id));
            if (close.Count == 0) return "The property has no current owner whose right could be transferred.";
            if (close.Any(id => !OwnershipKinds.Contains(byId[id].Kind))) return $"A {kind} transfers ownership rights only; discharge encumbrances separately.";
            if (open.Count == 0) return $"A {kind} needs at least one new holder in open.";
            if (open.Any(r => r.Kind != "ownership")) return $"The new rights of a {kind} are ownership rights.";
            var given = close.Sum(id => byId[id].Share);
            var taken = open.Sum(r => r.Share);
            if (given != taken)
                return $"The new shares sum to {taken.ToString(CultureInfo.InvariantCulture)} but the rights transferred hold {given.ToString(CultureInfo.InvariantCulture)}; they must be equal so the owners' shares still sum to 1.";
        }
        else if (Encumbrances.Contains(kind))
        {
            if (close.Count > 0) return $"A {kind} closes no rights.";
            if (open.Count != 1) return $"A {kind} has exactly one holder in open.";
            if (open[0].Kind != kind) return $"The new right of a {kind} is of kind {kind}.";
            if (open[0].Until is not null && kind != "lease") return "Only a lease has an end date (until); discharge ends other encumbrances.";
        }
        else if (kind == "discharge")
        {
            if (close.Count == 0) return "A discharge names the lease, mortgage or encumbrance it ends in close.";
            if (close.Any(id => !Encumbrances.Contains(byId[id].Kind))) return "A discharge ends leases, mortgages and encumbrances only.";
            if (open.Count > 0) return "A discharge opens no rights.";
        }
        else if (kind == Subdivision.Kind)
        {
            if (close.Count > 0) return "A subdivision closes no rights: the owners keep the remainder and the buyers get the part.";
            if (!current.Any(r => OwnershipKinds.Contains(r.Kind))) return "The property has no current owner who could sell part of it.";
            if (open.Count == 0) return "A subdivision needs the buyers of the part in open.";
            if (open.Any(r => r.Kind != "ownership")) return "The buyers of the part get ownership rights.";
            if (open.Sum(r => r.Share) is var sum && sum != 1)
                return $"The buyers' shares sum to {sum.ToString(CultureInfo.InvariantCulture)}; they must sum to 1.";
        }
        else if (kind == "correction")
        {
            if (reason is null) return "A correction needs the reason: which error it corrects.";
            if (close.Count == 0 && open.Count == 0) return "A correction closes and/or opens rights.";
            var owners = current.Where(r => OwnershipKinds.Contains(r.Kind) && !close.Contains(r.Id)).Sum(r => r.Share)
                         + open.Where(r => OwnershipKinds.Contains(r.Kind)).Sum(r => r.Share);
            if (owners != 0 && owners != 1)
                return $"After the correction the owners' shares would sum to {owners.ToString(CultureInfo.InvariantCulture)}, not 1.";
        }
        return null;
    }

    private static async Task<IResult> Lodge(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (body, bodyProblem) = await JsonBody.ReadAsync(http.Request, ct);
        if (bodyProblem is not null) return bodyProblem;
        var kind = body.Text("kind");
        if (kind is null || !Kinds.Contains(kind))
            return P.Unprocessable(InvalidTransaction, "Invalid transaction", $"kind must be one of {string.Join(", ", Kinds)}.");
        var reason = body.Text("reason");
        List<long> close;
        List<NewRight> open;
        try
        {
            close = ParseClose(body);
            open = ParseOpen(body, Encumbrances.Contains(kind) ? kind : "ownership");
        }
        catch (FormatException e) { return P.Unprocessable(InvalidTransaction, "Invalid transaction", e.Message); }
        byte[]? part = null;
        if (kind == Subdivision.Kind)
        {
            var (ewkb, partProblem) = await Subdivision.ReadPartAsync(body, http.Request, db, ct);
            if (partProblem is not null) return partProblem;
            part = ewkb;
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        var row = await RegistrationApi.LockRowAsync(conn, tx, id, ct);
        if (row is null) return P.Problem(404, P.PropertyNotFound, "Property not found", $"There is no property {id}.");
        if (RegistrationApi.Forbidden(http.User, RegistrationApi.Writers, row.Slug, row.District) is { } forbidden) return forbidden;
        if (row.Status != "registered")
            return P.Problem(409, P.StatusConflict, "Property not registered",
                $"{row.Code} is {row.Status}; transactions are lodged on registered properties only (a supervisor must approve its registration first).");
        if (await DisputesApi.BlockingProblemAsync(conn, tx, id, row.Code, "transferred or encumbered", ct) is { } disputed) return disputed;
        if (await DocumentsApi.MissingProblemAsync(conn, tx, row.CityId, body.Long("documentId"), ct) is { } missing) return missing;
        var current = await CurrentRightsAsync(conn, tx, id, ct);
        if (Check(kind, reason, close, open, [.. current.Select(r => (r.Id, r.Kind, r.Share))]) is { } why)
            return P.Unprocessable(InvalidTransaction, "Invalid transaction", why);
        JsonElement? clipped = null;
        if (part is not null)
        {
            var (inside, partProblem) = await Subdivision.CheckPartAsync(conn, tx, id, row.Code, part, ct);
            if (partProblem is not null) return partProblem;
            clipped = inside;
        }

        long txId;
        await using (var insert = new NpgsqlCommand(InsertSql, conn, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = row.CityId });
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = kind, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(new TransactionChanges(close, open, clipped), Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = body.Long("documentId")!.Value });
            insert.Parameters.Add(new NpgsqlParameter { Value = RegistrationApi.UserId(http.User), NpgsqlDbType = NpgsqlDbType.Text });
            try { txId = (long)(await insert.ExecuteScalarAsync(ct))!; }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return PendingProblem(row.Code);
            }
        }
        var json = await ReadAsync(conn, tx, txId, null, ct);
        await tx.CommitAsync(ct);
        http.Response.Headers.Location = "/api/transactions/" + txId.ToString(CultureInfo.InvariantCulture);
        return Results.Text(json!.Value.Json, "application/json", statusCode: 201);
    }

    private static IResult PendingProblem(string code) => P.Problem(409, TransactionPending, "Transaction pending",
        $"{code} already has a lodged transaction; it must be approved or rejected before another is lodged.");

    private static async Task<(string Json, string Slug, string District, string Status, string LodgedBy, long PropertyId, string Kind, string Changes, string? Reason, int CityId)?> ReadAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, long? id, long? propertyId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(ReadSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)propertyId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? "" : reader.GetString(3),
            reader.IsDBNull(4) ? "" : reader.GetString(4), reader.GetInt64(5), reader.IsDBNull(6) ? "" : reader.GetString(6),
            reader.IsDBNull(7) ? "" : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetInt32(9));
    }

    private static async Task<IResult> Get(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var t = await ReadAsync(conn, null, id, null, ct);
        if (t is null) return P.Problem(404, TransactionNotFound, "Transaction not found", $"There is no transaction {id}.");
        return RegistrationApi.Forbidden(http.User, DocumentsApi.Staff, t.Value.Slug, t.Value.District) ?? Results.Text(t.Value.Json, "application/json");
    }

    private static async Task<IResult> List(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var t = await ReadAsync(conn, null, null, id, ct);
        if (t is null) return P.Problem(404, P.PropertyNotFound, "Property not found", $"There is no property {id}.");
        return RegistrationApi.Forbidden(http.User, DocumentsApi.Staff, t.Value.Slug, t.Value.District) ?? Results.Text(t.Value.Json, "application/json");
    }

    private static Task<IResult> Reject(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => DecideAsync(id, false, http, db, ct);

    private static Task<IResult> Approve(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => DecideAsync(id, true, http, db, ct);

    private static async Task<IResult> DecideAsync(long id, bool approve, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        string? note = null;
        if (!approve || http.Request.ContentLength > 0)
        {
            var (body, bodyProblem) = await JsonBody.ReadAsync(http.Request, ct);
            if (bodyProblem is not null) return bodyProblem;
            note = body.Text("reason");
            if (!approve && note is null) return P.Unprocessable(InvalidTransaction, "Reason required", "A rejection needs a reason.");
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        var found = await ReadAsync(conn, null, id, null, ct);
        if (found is null) return P.Problem(404, TransactionNotFound, "Transaction not found", $"There is no transaction {id}.");
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        var propertyId = found.Value.PropertyId;
        // A subdivision creates parcels: it takes the city lock first, as splits and registrations do.
        if (approve && found.Value.Kind == Subdivision.Kind) await RegistrationApi.LockCityAsync(conn, tx, found.Value.CityId, ct);
        var row = (await RegistrationApi.LockRowAsync(conn, tx, propertyId, ct))!;
        var t = (await ReadAsync(conn, tx, id, null, ct))!.Value; // re-read under the property's lock
        if (RegistrationApi.Forbidden(http.User, RegistrationApi.Approvers, row.Slug, row.District) is { } forbidden) return forbidden;
        if (t.LodgedBy == RegistrationApi.UserId(http.User))
            return P.Problem(403, P.FourEyes, "Four eyes", $"You lodged transaction {id}; another supervisor must decide it.");
        if (t.Status != "lodged")
            return P.Problem(409, P.StatusConflict, "Already decided", $"Transaction {id} is already {t.Status}.");

        int? version = null;
        if (approve)
        {
            if (row.Status != "registered")
                return P.Problem(409, P.StatusConflict, "Property not registered", $"{row.Code} is {row.Status}; the transaction cannot be applied.");
            if (await DisputesApi.BlockingProblemAsync(conn, tx, propertyId, row.Code, "transferred or encumbered", ct) is { } disputed) return disputed;
            var changes = JsonSerializer.Deserialize<TransactionChanges>(t.Changes, Json)!;
            var current = await CurrentRightsAsync(conn, tx, propertyId, ct);
            var close = changes.Close.ToList();
            if (close.Any(c => current.All(r => r.Id != c)) ||
                Check(t.Kind, t.Reason, close, [.. changes.Open], [.. current.Select(r => (r.Id, r.Kind, r.Share))]) is not null)
                return P.Problem(409, StaleTransaction, "Rights changed",
                    $"The rights of {row.Code} changed since transaction {id} was lodged; reject it and lodge it again.");
            if (t.Kind == Subdivision.Kind)
            {
                var (retired, problem) = await Subdivision.ApplyAsync(conn, tx, row, propertyId, id, changes, t.LodgedBy, t.Reason, RegistrationApi.UserId(http.User), ct);
                if (problem is not null) return problem;
                version = retired;
            }
            else
            {
                await using (var closeCmd = new NpgsqlCommand("UPDATE rights SET valid_to = now() WHERE property_id = $1 AND id = ANY($2) AND valid_to IS NULL", conn, tx))
                {
                    closeCmd.Parameters.Add(new NpgsqlParameter { Value = propertyId });
                    closeCmd.Parameters.Add(new NpgsqlParameter { Value = close.ToArray() });
                    await closeCmd.ExecuteNonQueryAsync(ct);
                }
                foreach (var r in changes.Open)
                    await PropertyWrites.AddRightAsync(conn, tx, row.CityId, propertyId, new RightInput(r.Kind, r.Share, r.PartyKind, r.PartyName, r.IdDocument), r.Until, ct);
                var reason = $"{t.Kind} (transaction {id})" + (t.Reason is { } why ? ": " + why : "");
                version = await RegistrationApi.WriteVersionAsync(conn, tx, row.CityId, propertyId,
                    new RegistrationApi.Change(null, null, null, reason, null), RegistrationApi.UserId(http.User), ct);
            }
        }
        await using (var decide = new NpgsqlCommand(DecideSql, conn, tx))
        {
            decide.Parameters.Add(new NpgsqlParameter { Value = id });
            decide.Parameters.Add(new NpgsqlParameter { Value = approve ? "approved" : "rejected", NpgsqlDbType = NpgsqlDbType.Text });
            decide.Parameters.Add(new NpgsqlParameter { Value = RegistrationApi.UserId(http.User), NpgsqlDbType = NpgsqlDbType.Text });
            decide.Parameters.Add(new NpgsqlParameter { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            decide.Parameters.Add(new NpgsqlParameter { Value = (object?)version ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            await decide.ExecuteNonQueryAsync(ct);
        }
        var json = (await ReadAsync(conn, tx, id, null, ct))!.Value.Json;
        await tx.CommitAsync(ct);
        if (version is { } v) http.Response.Headers.ETag = RegistrationApi.ETag(v);
        return Results.Text(json, "application/json");
    }
}
