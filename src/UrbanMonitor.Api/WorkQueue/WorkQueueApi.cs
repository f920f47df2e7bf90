using System.Globalization;
using UrbanMonitor.Api.Auth;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Documents;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.WorkQueue;

/// <summary>
/// Cross-property work queues for staff: a city's transactions waiting for a decision and its open disputes, over
/// every property of the caller's districts, oldest first, a keyset page at a time. Each item says whether the caller
/// may decide it (<c>canDecide</c>) by the same rules the approve / reject / resolve endpoints apply, and why not:
/// <c>role</c> (not a supervisor or admin), <c>four-eyes</c> (the caller lodged the transaction or the dispute), <c>decided</c>.
/// </summary>
public static class WorkQueueApi
{
    private const int DefaultLimit = 50, MaxLimit = 500;

    /// <summary>One kind of queue: its SQL, statuses, the waiting status, and what the decide links are.</summary>
    private sealed record Queue(string Name, string Sql, string[] Statuses, string Waiting, string TextField, string[] Actions, bool FourEyes);

    private static readonly Queue Transactions = new("transactions", Sql.Load("WorkQueue/transactions.sql"),
        ["lodged", "approved", "rejected"], "lodged", "reason", ["approve", "reject"], FourEyes: true);

    // Resolving a dispute is a supervisor's act in the district, and not of the one who lodged it (four eyes).
    private static readonly Queue Disputes = new("disputes", Sql.Load("WorkQueue/disputes.sql"),
        ["open", "resolved"], "open", "statement", ["resolve"], FourEyes: true);

    public static IEndpointRouteBuilder MapWorkQueueApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/transactions", (string? city, string? status, string? district, string? after, string? limit, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
                PageAsync(Transactions, city, status, district, after, limit, http, db, ct))
            .RequireAuthorization().WithTags("Transactions").WithName("TransactionQueue")
            .WithSummary("A city's transactions across properties (staff, their districts): ?city=&status=lodged (default; pending is a synonym)|approved|rejected&district=&limit=&after=; each with canDecide")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/api/disputes", (string? city, string? status, string? district, string? after, string? limit, HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
                PageAsync(Disputes, city, status, district, after, limit, http, db, ct))
            .RequireAuthorization().WithTags("Disputes").WithName("DisputeQueue")
            .WithSummary("A city's disputes across properties (staff, their districts): ?city=&status=open (default)|resolved&district=&limit=&after=; each with canDecide")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/api/cities/{slug}/work-queue", WorkQueueAsync).RequireAuthorization().WithTags("Transactions").WithName("WorkQueue")
            .WithSummary("The first page of the city's pending transactions and open disputes in the caller's districts, with next links")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> WorkQueueAsync(string slug, string? district, string? limit, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (transactions, problem) = await ReadAsync(Transactions, slug, null, district, null, limit, http, db, ct);
        if (problem is not null) return problem;
        var (disputes, _) = await ReadAsync(Disputes, slug, null, district, null, limit, http, db, ct);
        return Results.Json(new { city = slug, transactions, disputes });
    }

    private static async Task<IResult> PageAsync(Queue queue, string? city, string? status, string? district, string? after, string? limit,
        HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(city))
            return P.Problem(400, Problems.BadRequest, "City missing", $"Name the city: /api/{queue.Name}?city={{slug}}.");
        var (page, problem) = await ReadAsync(queue, city, status, district, after, limit, http, db, ct);
        return problem ?? Results.Json(page);
    }

    /// <summary>One page of a queue, or the problem with the request.</summary>
    private static async Task<(object? Page, IResult? Problem)> ReadAsync(Queue queue, string slug, string? status, string? district,
        string? after, string? limit, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var user = http.User;
        if (!DocumentsApi.Staff.Any(user.IsInRole))
            return (null, P.Problem(403, P.ForbiddenRole, "Role not allowed", $"The {queue.Name} queue is for {string.Join(", ", DocumentsApi.Staff)}."));
        status = status is null or "" ? queue.Waiting : status == "pending" && queue == Transactions ? "lodged" : status;
        if (!queue.Statuses.Contains(status))
            return (null, P.Problem(400, Problems.BadRequest, "Unknown status", $"status must be one of {string.Join(", ", queue.Statuses)}, not '{status}'."));
        var size = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 1))
            return (null, P.Problem(400, Problems.BadRequest, "Bad limit", $"limit must be a whole number from 1 to {MaxLimit}, not '{limit}'."));
        size = Math.Min(size, MaxLimit);
        long? afterId = null;
        if (after is not null)
        {
            if (!long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var a))
                return (null, P.Problem(400, Problems.BadRequest, "Bad cursor", $"after must be the id of the last item of the previous page, not '{after}'."));
            afterId = a;
        }

        int cityId;
        await using (var find = db.CreateCommand("SELECT id FROM cities WHERE slug = $1"))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = slug, NpgsqlDbType = NpgsqlDbType.Text });
            if (await find.ExecuteScalarAsync(ct) is not int id) return (null, Problems.CityMissing(slug));
            cityId = id;
        }
        var districts = DistrictClaims.InCity(user, slug);
        if (district is not null)
        {
            if (districts is not null && !districts.Contains(district))
                return (null, P.Problem(403, P.ForbiddenDistrict, "District not assigned", $"You are not assigned to district {slug}:{district}."));
            districts = [district];
        }

        var items = new List<Dictionary<string, object?>>();
        var me = RegistrationApi.UserId(user);
        var approver = RegistrationApi.Approvers.Any(user.IsInRole);
        await using (var cmd = db.CreateCommand(queue.Sql))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = status, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)districts ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)afterId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            cmd.Parameters.Add(new NpgsqlParameter { Value = size + 1 });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var id = r.GetInt64(0);
                var lodgedBy = r.GetString(7);
                var mine = lodgedBy == me;
                var why = r.GetString(5) != queue.Waiting ? "decided" : !approver ? "role" : queue.FourEyes && mine ? "four-eyes" : null;
                var item = new Dictionary<string, object?>
                {
                    ["id"] = id,
                    ["property"] = r.GetInt64(1),
                    ["code"] = r.GetString(2),
                    ["district"] = r.GetString(3),
                    ["kind"] = r.GetString(4),
                    ["status"] = r.GetString(5),
                    [queue.TextField] = r.IsDBNull(6) ? null : r.GetString(6),
                    ["lodgedBy"] = lodgedBy,
                    ["lodgedAt"] = r.GetFieldValue<DateTimeOffset>(8),
                    ["lodgedByMe"] = mine,
                    ["canDecide"] = why is null,
                    ["whyNot"] = why,
                    ["at"] = new[] { Math.Round(r.GetDouble(9), 7), Math.Round(r.GetDouble(10), 7) },
                    ["url"] = $"/api/{queue.Name}/{id}",
                };
                foreach (var action in queue.Actions) item[action + "Url"] = why is null ? $"/api/{queue.Name}/{id}/{action}" : null;
                items.Add(item);
            }
        }
        string? next = null;
        if (items.Count > size)
        {
            items.RemoveAt(size);
            var q = new List<string> { "city=" + Uri.EscapeDataString(slug), "status=" + status };
            if (district is not null) q.Add("district=" + Uri.EscapeDataString(district));
            q.Add("limit=" + size.ToString(CultureInfo.InvariantCulture));
            q.Add("after=" + ((long)items[^1]["id"]!).ToString(CultureInfo.InvariantCulture));
            next = $"/api/{queue.Name}?" + string.Join('&', q);
        }
        return (new { city = slug, status, items, next }, null);
    }

}
