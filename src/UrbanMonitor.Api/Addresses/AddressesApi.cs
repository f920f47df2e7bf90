using UrbanMonitor.Api.Audit;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using UrbanMonitor.Api.Transactions;
using UrbanMonitor.Domain.Text;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Addresses;

/// <summary><c>PUT /api/properties/{id}/address</c>: a property's address (street, number, locality), shown as
/// <c>address</c> in the property's GeoJSON. An address is not personal data, so anonymous readers see it too.</summary>
public static class AddressesApi
{
    private static readonly string UpsertSql = Sql.Load("Addresses/upsert.sql");

    public static IEndpointRouteBuilder MapAddressesApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/properties/{id:long}/address", Put).RequireAuthorization().WithTags("Registration").WithName("PutPropertyAddress")
            .WithSummary("Set a property's address ({street, number?, locality}; land officer of its district)")
            .Produces(StatusCodes.Status200OK, contentType: "application/json").ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    private static async Task<IResult> Put(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (body, bodyProblem) = await JsonBody.ReadAsync(http.Request, ct);
        if (bodyProblem is not null) return bodyProblem;
        var street = body.Text("street");
        var locality = body.Text("locality");
        if (street is null || locality is null)
            return P.Unprocessable(P.InvalidProperty, "Invalid address", "street and locality are required; number is optional.");
        var number = body.Text("number");
        foreach (var (field, value, max) in new[] { ("street", street, 200), ("number", number, 20), ("locality", locality, 200) })
            if (value is not null && TextRules.Problem(field, value, max) is { } why) return P.Unprocessable(P.InvalidProperty, "Invalid address", why);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        var row = await RegistrationApi.LockRowAsync(conn, tx, id, ct);
        if (row is null) return P.Problem(404, P.PropertyNotFound, "Property not found", $"There is no property {id}.");
        if (RegistrationApi.Forbidden(http.User, RegistrationApi.Writers, row.Slug, row.District) is { } forbidden) return forbidden;
        await using var cmd = new NpgsqlCommand(UpsertSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = row.CityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = street, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)number ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = locality, NpgsqlDbType = NpgsqlDbType.Text });
        var json = (string)(await cmd.ExecuteScalarAsync(ct))!;
        await tx.CommitAsync(ct);
        return Results.Text(json, "application/json");
    }
}
