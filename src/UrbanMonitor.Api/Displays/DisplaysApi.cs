using UrbanMonitor.Api.Audit;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Disputes;
using UrbanMonitor.Api.Documents;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using UrbanMonitor.Api.Transactions;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Displays;

/// <summary>Public display settings (section <c>Display</c>; env <c>URBANMONITOR_Display__DefaultDays</c>).</summary>
public sealed class DisplayOptions
{
    /// <summary>Length of a display period in days when the request gives none (default 30).</summary>
    public int DefaultDays { get; set; } = 30;
}

/// <summary>
/// Public display of claims before registration: the verified claims in a district or a polygon are published for a
/// period (an anonymous HTML page and GeoJSON with codes, geometry and claimants' names only, the exception the law
/// needs); objections are disputes lodged meanwhile; a supervisor closes the period after its end date (the service's
/// <see cref="TimeProvider"/> is the clock), which registers the unchallenged claims and holds back the challenged.
/// </summary>
public static class DisplaysApi
{
    public const string NoClaims = Problems.Prefix + "no-claims";
    public const string DisplayNotFound = Problems.Prefix + "display-not-found";
    public const string DisplayNotEnded = Problems.Prefix + "display-not-ended";
    public const string InvalidArea = Problems.Prefix + "invalid-area";

    private static readonly string AreaSql = Sql.Load("Displays/area.sql");
    private static readonly string CreateSql = Sql.Load("Displays/create.sql");
    private static readonly string ReadSql = Sql.Load("Displays/read.sql");
    private static readonly string ClaimsSql = Sql.Load("Displays/claims.sql");

    public static WebApplicationBuilder AddDisplays(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<DisplayOptions>().BindConfiguration("Display");
        return builder;
    }

    public static IEndpointRouteBuilder MapDisplaysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/displays").WithTags("Public display");
        api.MapPost("/", Create).RequireAuthorization().WithName("CreateDisplay")
            .WithSummary("Publish the verified claims of a district or polygon for a period ({city, district? | area?, days?}; staff of every district concerned)")
            .Produces(StatusCodes.Status201Created, contentType: "application/json").ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/{id:long}", Get).WithName("GetDisplay").WithSummary("A display period (public)");
        api.MapGet("/{id:long}/claims", Claims).WithName("GetDisplayClaims")
            .WithSummary("The displayed claims as GeoJSON (public: code, geometry, claimants' names, outcome)")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json");
        api.MapPost("/{id:long}/close", Close).RequireAuthorization().WithName("CloseDisplay")
            .WithSummary("Close a display period after its end date (supervisor): unchallenged claims are registered, challenged ones held back")
            .ProducesProblem(StatusCodes.Status409Conflict);
        app.MapGet("/displays/{id:long}", Page).WithTags("Public display").WithName("DisplayPage")
            .WithSummary("The public display page (HTML, anonymous)").Produces(StatusCodes.Status200OK, contentType: "text/html");
        return app;
    }

    private static async Task<IResult> Create(HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<DisplayOptions> options, CancellationToken ct)
    {
        if (!DocumentsApi.Staff.Any(http.User.IsInRole))
            return P.Problem(403, P.ForbiddenRole, "Role not allowed", "Publishing claims needs the role land-officer, supervisor or admin.");
        var (body, bodyProblem) = await JsonBody.ReadAsync(http.Request, ct);
        if (bodyProblem is not null) return bodyProblem;
        var slug = body.Text("city");
        if (slug is null) return P.Unprocessable(InvalidArea, "Invalid display", "city (its slug) is required.");
        var district = body.Text("district");
        string? area = body.TryGetProperty("area", out var a) && a.ValueKind == JsonValueKind.Object ? a.GetRawText() : null;
        if ((district is null) == (area is null))
            return P.Unprocessable(InvalidArea, "Invalid display", "Give either district (a code) or area (a GeoJSON Polygon or MultiPolygon in EPSG:4326).");
        var srid = 4326;
        if (area is not null)
        {
            if (!a.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !a.TryGetProperty("coordinates", out _))
                return P.Unprocessable(InvalidArea, "Invalid area", "area must be a GeoJSON geometry object with type and coordinates (a Polygon or MultiPolygon).");
            if (UrbanMonitor.Domain.Geometry.GeoJsonPositions.Problem(a, "area") is { } malformed)
                return P.Unprocessable(P.InvalidGeoJson, "Invalid GeoJSON", malformed);
            IResult? crsProblem;
            (srid, crsProblem) = RegistrationApi.ReadCrs(http.Request, a);
            if (crsProblem is not null) return crsProblem;
        }
        var days = (int?)body.Long("days") ?? options.Value.DefaultDays;
        if (days is < 1 or > 365) return P.Unprocessable(InvalidArea, "Invalid display", "days must be between 1 and 365.");

        await using var conn = await db.OpenConnectionAsync(ct);
        byte[] ewkb;
        int cityId;
        await using (var cmd = new NpgsqlCommand(AreaSql, conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = slug, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)district ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)area ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = srid, NpgsqlDbType = NpgsqlDbType.Integer });
            try
            {
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct)) return Problems.CityMissing(slug);
                if (!reader.IsDBNull(1))
                    return P.Unprocessable(InvalidArea, "Invalid area", reader.GetString(1),
                        reader.IsDBNull(2) ? null : new Dictionary<string, object?> { ["location"] = reader.GetString(2) });
                cityId = reader.GetInt32(0);
                ewkb = reader.GetFieldValue<byte[]>(3);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InternalError || e.SqlState.StartsWith("22", StringComparison.Ordinal))
            {
                // ST_GeomFromGeoJSON refuses what it cannot read (an unknown type, no coordinates); ST_Transform what
                // lies outside the CRS's domain.
                return P.Unprocessable(P.InvalidGeoJson, "Invalid GeoJSON", "PostGIS cannot read the area: " + e.MessageText + ".");
            }
        }

        var now = clock.GetUtcNow();
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        await RegistrationApi.LockCityAsync(conn, tx, cityId, ct);
        await using var create = new NpgsqlCommand(CreateSql, conn, tx);
        create.Parameters.Add(new NpgsqlParameter { Value = cityId });
        create.Parameters.Add(new NpgsqlParameter { Value = ewkb, NpgsqlDbType = NpgsqlDbType.Bytea });
        create.Parameters.Add(new NpgsqlParameter { Value = (object?)district ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        create.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        create.Parameters.Add(new NpgsqlParameter { Value = now.AddDays(days), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        create.Parameters.Add(new NpgsqlParameter { Value = RegistrationApi.UserId(http.User), NpgsqlDbType = NpgsqlDbType.Text });
        long id;
        string[] districts;
        await using (var reader = await create.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            if (reader.IsDBNull(0))
                return P.Unprocessable(NoClaims, "No claims to display", "There are no verified claims (not already on display) in this area.");
            id = reader.GetInt64(0);
            districts = reader.GetFieldValue<string[]>(1);
        }
        // Staff publish only in their own districts: every district a claim lies in.
        foreach (var d in districts)
            if (RegistrationApi.Forbidden(http.User, DocumentsApi.Staff, slug, d) is { } forbidden) return forbidden;
        var json = await ReadAsync(conn, tx, id, ct);
        await tx.CommitAsync(ct);
        http.Response.Headers.Location = "/api/displays/" + id.ToString(CultureInfo.InvariantCulture);
        return Results.Text(json!.Value.Json, "application/json", statusCode: 201);
    }

    private static async Task<(string Json, string Slug, int CityId, DateTimeOffset EndsAt, string Status, string[] Districts)?> ReadAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(ReadSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4),
            reader.GetFieldValue<string[]>(5));
    }

    private static IResult Missing(long id) => P.Problem(404, DisplayNotFound, "Display period not found", $"There is no display period {id}.");

    private static async Task<IResult> Get(long id, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await ReadAsync(conn, null, id, ct) is { } d ? Results.Text(d.Json, "application/json") : Missing(id);
    }

    private static async Task<string?> ClaimsAsync(NpgsqlDataSource db, long id, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(ClaimsSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    private static async Task<IResult> Claims(long id, NpgsqlDataSource db, CancellationToken ct) =>
        await ClaimsAsync(db, id, ct) is { } json ? Results.Text(json, "application/geo+json; charset=utf-8") : Missing(id);

    private static string Both(DateTimeOffset t)
    {
        var pc = new PersianCalendar();
        var d = t.UtcDateTime;
        return string.Create(CultureInfo.InvariantCulture, $"{d:yyyy-MM-dd} ({pc.GetYear(d)}/{pc.GetMonth(d):00}/{pc.GetDayOfMonth(d):00} SH)");
    }

    private static async Task<IResult> Page(long id, NpgsqlDataSource db, CancellationToken ct)
    {
        var json = await ClaimsAsync(db, id, ct);
        if (json is null) return Missing(id);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var display = root.GetProperty("display");
        var h = HtmlEncoder.Default;
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Public display ").Append(id)
            .Append("</title></head><body><h1>Public display of land claims</h1><p>Period ")
            .Append(h.Encode(Both(display.GetProperty("startsAt").GetDateTimeOffset()))).Append(" to ")
            .Append(h.Encode(Both(display.GetProperty("endsAt").GetDateTimeOffset()))).Append(", status ")
            .Append(h.Encode(display.GetProperty("status").GetString() ?? "")).Append(". Anyone with a stake may object to a claim or its boundary at the land office before the end date.</p>")
            .Append("<p><a href=\"/api/displays/").Append(id).Append("/claims\">The claims as GeoJSON (map)</a></p>")
            .Append("<table><thead><tr><th>Code</th><th>Claimants</th><th>Area (m²)</th><th>Objections</th><th>Outcome</th></tr></thead><tbody>");
        foreach (var f in root.GetProperty("features").EnumerateArray())
        {
            var p = f.GetProperty("properties");
            html.Append("<tr><td>").Append(h.Encode(p.GetProperty("code").GetString() ?? "")).Append("</td><td>")
                .Append(h.Encode(string.Join(", ", p.GetProperty("claimants").EnumerateArray().Select(c => c.GetString()))))
                .Append("</td><td>").Append(p.GetProperty("areaM2").GetRawText()).Append("</td><td>").Append(p.GetProperty("objections").GetRawText())
                .Append("</td><td>").Append(h.Encode(p.GetProperty("outcome").ValueKind == JsonValueKind.String ? p.GetProperty("outcome").GetString()! : "pending"))
                .Append("</td></tr>");
        }
        html.Append("</tbody></table></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    private static async Task<IResult> Close(long id, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var found = await ReadAsync(conn, null, id, ct);
        if (found is null) return Missing(id);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        await RegistrationApi.LockCityAsync(conn, tx, found.Value.CityId, ct);
        var d = (await ReadAsync(conn, tx, id, ct))!.Value;
        foreach (var district in d.Districts)
            if (RegistrationApi.Forbidden(http.User, RegistrationApi.Approvers, d.Slug, district) is { } forbidden) return forbidden;
        if (d.Status != "open") return P.Problem(409, P.StatusConflict, "Already closed", $"Display period {id} is already closed.");
        var now = clock.GetUtcNow();
        if (now < d.EndsAt)
            return P.Problem(409, DisplayNotEnded, "Display period not ended",
                $"Display period {id} runs until {d.EndsAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}; it can be closed only after that.",
                new Dictionary<string, object?> { ["endsAt"] = d.EndsAt });

        var claims = new List<long>();
        await using (var list = new NpgsqlCommand("SELECT property_id FROM display_claims WHERE display_id = $1 ORDER BY property_id", conn, tx))
        {
            list.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var reader = await list.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) claims.Add(reader.GetInt64(0));
        }
        var me = RegistrationApi.UserId(http.User);
        foreach (var propertyId in claims)
        {
            var row = (await RegistrationApi.LockRowAsync(conn, tx, propertyId, ct))!;
            // Challenged (an open dispute), no longer verified, or surveyed by the closer (four eyes): held back.
            var held = row.Status != "verified" || row.SurveyedBy == me
                       || await DisputesApi.BlockingProblemAsync(conn, tx, propertyId, row.Code, "registered", ct) is not null;
            if (!held)
                await RegistrationApi.WriteVersionAsync(conn, tx, row.CityId, propertyId,
                    new RegistrationApi.Change(null, null, "registered", $"registered: display period {id} ended unchallenged", null), me, ct);
            await using var outcome = new NpgsqlCommand("UPDATE display_claims SET outcome = $3 WHERE display_id = $1 AND property_id = $2", conn, tx);
            outcome.Parameters.Add(new NpgsqlParameter { Value = id });
            outcome.Parameters.Add(new NpgsqlParameter { Value = propertyId });
            outcome.Parameters.Add(new NpgsqlParameter { Value = held ? "held" : "registered", NpgsqlDbType = NpgsqlDbType.Text });
            await outcome.ExecuteNonQueryAsync(ct);
        }
        await using (var close = new NpgsqlCommand("UPDATE display_periods SET status = 'closed', closed_by = $2, closed_at = $3 WHERE id = $1", conn, tx))
        {
            close.Parameters.Add(new NpgsqlParameter { Value = id });
            close.Parameters.Add(new NpgsqlParameter { Value = me, NpgsqlDbType = NpgsqlDbType.Text });
            close.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            await close.ExecuteNonQueryAsync(ct);
        }
        var json = (await ReadAsync(conn, tx, id, ct))!.Value.Json;
        await tx.CommitAsync(ct);
        return Results.Text(json, "application/json");
    }
}
