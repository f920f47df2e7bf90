using UrbanMonitor.Api.Audit;
using System.Globalization;
using System.Security.Claims;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Documents;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using UrbanMonitor.Api.Transactions;
using UrbanMonitor.Domain.Text;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Disputes;

/// <summary>
/// Disputes and objections against a claim or a boundary. Any authenticated user with a stake lodges one in their own
/// name; an officer (land officer, supervisor, admin of the district) records the objection of someone who is not a
/// user by giving <c>objector</c>. While a dispute is open the property cannot be verified, registered or transferred
/// (409 <c>disputed</c>); a supervisor resolves it with a decision and its document.
/// </summary>
public static class DisputesApi
{
    public const string Disputed = Problems.Prefix + "disputed";
    public const string DisputeNotFound = Problems.Prefix + "dispute-not-found";

    private static readonly string LodgeSql = Sql.Load("Disputes/lodge.sql");
    private static readonly string ReadSql = Sql.Load("Disputes/read.sql");
    private static readonly string ResolveSql = Sql.Load("Disputes/resolve.sql");

    public static IEndpointRouteBuilder MapDisputesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/properties/{id:long}/disputes", Lodge).RequireAuthorization().WithTags("Disputes").WithName("LodgeDispute")
            .WithSummary("Lodge a dispute or objection against a claim or boundary ({kind: claim|boundary, statement, objector?: {name}})")
            .Produces(StatusCodes.Status201Created, contentType: "application/json").ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapGet("/api/properties/{id:long}/disputes", List).RequireAuthorization().WithTags("Disputes").WithName("ListDisputes")
            .WithSummary("The disputes of a property (staff)");
        app.MapGet("/api/disputes/{id:long}", Get).RequireAuthorization().WithTags("Disputes").WithName("GetDispute")
            .WithSummary("One dispute (staff of its district, or the user who lodged it)");
        app.MapPost("/api/disputes/{id:long}/resolve", Resolve).RequireAuthorization().WithTags("Disputes").WithName("ResolveDispute")
            .WithSummary("Resolve a dispute with a decision and its document ({decision, documentId}; supervisor)")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    /// <summary>A 409 <c>disputed</c> when property <paramref name="propertyId"/> has an open dispute; null otherwise.</summary>
    internal static async Task<IResult?> BlockingProblemAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long propertyId, string code, string action, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT array_agg(id ORDER BY id) FROM disputes WHERE property_id = $1 AND status = 'open'", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = propertyId });
        if (await cmd.ExecuteScalarAsync(ct) is not long[] open) return null;
        return P.Problem(StatusCodes.Status409Conflict, Disputed, "Property disputed",
            $"{code} cannot be {action} while it has an open dispute ({string.Join(", ", open.Select(i => "/api/disputes/" + i.ToString(CultureInfo.InvariantCulture)))}); a supervisor must resolve it first.",
            new Dictionary<string, object?> { ["disputes"] = open });
    }

    private static async Task<IResult> Lodge(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (body, bodyProblem) = await JsonBody.ReadAsync(http.Request, ct);
        if (bodyProblem is not null) return bodyProblem;
        var kind = body.Text("kind") ?? "claim";
        if (kind is not ("claim" or "boundary"))
            return P.Unprocessable(P.InvalidProperty, "Invalid dispute", "kind must be claim or boundary.");
        var statement = body.Text("statement");
        if (statement is null) return P.Unprocessable(P.InvalidProperty, "Invalid dispute", "statement is required: what is contested and why.");
        if (TextRules.Problem("statement", statement, 4000, multiline: true) is { } badStatement)
            return P.Unprocessable(P.InvalidProperty, "Invalid dispute", badStatement);
        string? onBehalf = null;
        if (body.TryGetProperty("objector", out var objector))
        {
            onBehalf = objector.ValueKind == System.Text.Json.JsonValueKind.Object ? objector.Text("name") : null;
            if (onBehalf is null) return P.Unprocessable(P.InvalidProperty, "Invalid dispute", "objector must be an object with the objector's name.");
            if (TextRules.Problem("objector.name", onBehalf, 300) is { } badName) return P.Unprocessable(P.InvalidProperty, "Invalid dispute", badName);
        }

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        var row = await RegistrationApi.LockRowAsync(conn, tx, id, ct);
        if (row is null) return P.Problem(404, P.PropertyNotFound, "Property not found", $"There is no property {id}.");
        // Recording someone else's objection is an officer's act in their district; lodging one's own needs only a login.
        if (onBehalf is not null && RegistrationApi.Forbidden(http.User, DocumentsApi.Staff, row.Slug, row.District) is { } forbidden)
            return forbidden;
        if (row.Status == "retired")
            return P.Problem(409, P.StatusConflict, "Retired property", $"{row.Code} is retired; there is nothing to dispute.");

        await using var cmd = new NpgsqlCommand(LodgeSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = row.CityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = kind, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = statement, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = onBehalf ?? http.User.FindFirstValue("name") ?? RegistrationApi.UserId(http.User), NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = RegistrationApi.UserId(http.User), NpgsqlDbType = NpgsqlDbType.Text });
        var disputeId = (long)(await cmd.ExecuteScalarAsync(ct))!;
        await tx.CommitAsync(ct);
        http.Response.Headers.Location = "/api/disputes/" + disputeId.ToString(CultureInfo.InvariantCulture);
        return await ReadAsync(conn, null, disputeId, null, http.User, ct, 201);
    }

    private static async Task<IResult> ReadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long? disputeId, long? propertyId, ClaimsPrincipal user, CancellationToken ct, int status = 200)
    {
        await using var cmd = new NpgsqlCommand(ReadSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)disputeId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)propertyId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return P.Problem(404, disputeId is null ? P.PropertyNotFound : DisputeNotFound, "Not found", disputeId is null ? $"There is no property {propertyId}." : $"There is no dispute {disputeId}.");
        var mayRead = RegistrationApi.Forbidden(user, DocumentsApi.Staff, reader.GetString(0), reader.GetString(1)) is null
                      || (disputeId is not null && reader.GetString(2) == RegistrationApi.UserId(user));
        if (!mayRead)
            return RegistrationApi.Forbidden(user, DocumentsApi.Staff, reader.GetString(0), reader.GetString(1))!;
        return Results.Text(reader.GetString(3), "application/json", statusCode: status);
    }

    private static async Task<IResult> Get(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await ReadAsync(conn, null, id, null, http.User, ct);
    }

    private static async Task<IResult> List(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await ReadAsync(conn, null, null, id, http.User, ct);
    }

    private static async Task<IResult> Resolve(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (body, bodyProblem) = await JsonBody.ReadAsync(http.Request, ct);
        if (bodyProblem is not null) return bodyProblem;
        var decision = body.Text("decision");
        if (decision is null) return P.Unprocessable(P.InvalidProperty, "Decision required", "decision is required: what was decided and why.");
        if (TextRules.Problem("decision", decision, 4000, multiline: true) is { } badDecision)
            return P.Unprocessable(P.InvalidProperty, "Invalid decision", badDecision);
        var documentId = body.Long("documentId");

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        await using (var find = new NpgsqlCommand(
            "SELECT d.city_id, c.slug, p.district_code, d.status, d.lodged_by FROM disputes d JOIN properties p ON p.city_id = d.city_id AND p.id = d.property_id JOIN cities c ON c.id = d.city_id WHERE d.id = $1 FOR UPDATE OF d", conn, tx))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var reader = await find.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return P.Problem(404, DisputeNotFound, "Dispute not found", $"There is no dispute {id}.");
            var (city, slug, district, status, lodgedBy) = (reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4));
            await reader.DisposeAsync();
            if (RegistrationApi.Forbidden(http.User, RegistrationApi.Approvers, slug, district) is { } forbidden) return forbidden;
            // Four eyes, as for transactions: whoever lodged (or recorded) the objection does not decide it.
            if (lodgedBy == RegistrationApi.UserId(http.User))
                return P.Problem(StatusCodes.Status403Forbidden, P.FourEyes, "Four eyes", $"You lodged dispute {id}; another supervisor must resolve it.");
            if (status != "open") return P.Problem(409, P.StatusConflict, "Already resolved", $"Dispute {id} is already resolved.");
            if (await DocumentsApi.MissingProblemAsync(conn, tx, city, documentId, ct) is { } missing) return missing;
        }
        await using (var cmd = new NpgsqlCommand(ResolveSql, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            cmd.Parameters.Add(new NpgsqlParameter { Value = decision, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = documentId!.Value });
            cmd.Parameters.Add(new NpgsqlParameter { Value = RegistrationApi.UserId(http.User), NpgsqlDbType = NpgsqlDbType.Text });
            await cmd.ExecuteNonQueryAsync(ct);
        }
        var result = await ReadAsync(conn, tx, id, null, http.User, ct);
        await tx.CommitAsync(ct);
        return result;
    }
}
