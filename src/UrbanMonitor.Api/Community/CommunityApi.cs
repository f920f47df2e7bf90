using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Audit;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using UrbanMonitor.Api.Transactions;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Community;

/// <summary>
/// Community-led upgrading (the People's Process): Community Development Councils and Gozar assemblies, members (personal
/// data, staff only), action plans, projects under community contracts with disbursements, status and social audits,
/// the strategic action plan, and the programme's analysis (<c>/api/cities/{slug}/community/analysis</c>).
/// Writers: admins; supervisors of the council's district; community facilitators for the councils in their token's
/// <c>councils</c> claim (<c>{slug}:{council code}</c>). Public reads carry no member names.
/// </summary>
public static class CommunityApi
{
    public const string CouncilNotFound = Problems.Prefix + "council-not-found";
    public const string ProjectNotFound = Problems.Prefix + "project-not-found";
    public const string ForbiddenCouncil = Problems.Prefix + "forbidden-council";
    public const string InvalidInput = Problems.Prefix + "invalid-community-input";
    public const string OverContract = Problems.Prefix + "disbursement-over-contract";
    public const string StatusBackwards = Problems.Prefix + "status-backwards";
    public const string CodeTaken = Problems.Prefix + "code-taken";

    /// <summary>The fixed list of needs (action plans, project types, strategic plan items).</summary>
    public static readonly string[] Needs = ["water", "drainage", "roads", "lighting", "open-space", "health", "security"];
    public static readonly string[] Statuses = ["planned", "contracted", "in-progress", "completed", "maintained"];
    private static readonly string[] MemberRoles = ["chair", "deputy", "secretary", "treasurer", "member"];
    private static readonly string[] Parties = ["council", "third-party"];
    private static readonly string[] CouncilStatuses = ["active", "dissolved"];
    private static readonly string[] Ratings = ["satisfactory", "issues-found", "unsatisfactory"];
    private static readonly string[] StrategicStatuses = ["proposed", "funded", "in-progress", "completed", "dropped"];

    private static readonly string GeometrySql = Sql.Load("Community/geometry.sql");
    private static readonly string CouncilRowSql = Sql.Load("Community/council_row.sql");
    private static readonly string CouncilSql = Sql.Load("Community/council.sql");
    private static readonly string CouncilsSql = Sql.Load("Community/councils.sql");
    private static readonly string CouncilInsertSql = Sql.Load("Community/council_insert.sql");
    private static readonly string CouncilUpdateSql = Sql.Load("Community/council_update.sql");
    private static readonly string ViolationsSql = Sql.Load("Community/violations.sql");
    private static readonly string GozarsSql = Sql.Load("Community/gozars.sql");
    private static readonly string ProjectRowSql = Sql.Load("Community/project_row.sql");
    private static readonly string ProjectSql = Sql.Load("Community/project.sql");
    private static readonly string ProjectInsertSql = Sql.Load("Community/project_insert.sql");
    private static readonly string ProjectUpdateSql = Sql.Load("Community/project_update.sql");
    private static readonly string AnalysisSql = Sql.Load("Community/analysis.sql");
    private static readonly string StrategicSql = Sql.Load("Community/strategic.sql");
    private static readonly string HistorySql = Sql.Load("Community/history.sql");
    private static readonly string CouncilAtSql = Sql.Load("Community/council_at.sql");
    private static readonly string ProjectAtSql = Sql.Load("Community/project_at.sql");

    // The fields of a council's or project's row that its history shows to anyone, and to staff besides (contractors'
    // names and the source file's attributes are not public).
    private static readonly string[] CouncilPublicFields =
        ["code", "name", "district_code", "gozar_id", "elected_on", "status", "households", "members", "women", "displaced", "composition", "geom"];
    private static readonly string[] ProjectPublicFields =
        ["code", "council_id", "name", "type", "executing_party", "contract_amount", "disbursed", "status", "status_reason", "beneficiaries",
         "person_days", "women_person_days", "geom"];
    private static readonly string[] StaffFields = ["contractor", "attributes"];

    public static IEndpointRouteBuilder MapCommunityApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("").WithTags("Community");
        g.MapGet("/api/cities/{slug}/gozars", ListGozars).WithName("ListGozars")
            .WithSummary("A city's Gozar assemblies with their councils and boundary (drawn, else the union of its councils)");
        g.MapPost("/api/cities/{slug}/gozars", CreateGozar).RequireAuthorization().WithName("CreateGozar")
            .WithSummary("Create a Gozar assembly ({code, name, geometry?}; admin or supervisor)").ProducesProblem(422);
        g.MapGet("/api/cities/{slug}/councils", ListCouncils).WithName("ListCouncils")
            .WithSummary("A city's Community Development Councils with their composition counts (no personal data)");
        g.MapPost("/api/cities/{slug}/councils", CreateCouncil).RequireAuthorization().WithName("CreateCouncil")
            .WithSummary("Create a council ({code, name, district?, gozar?, electedOn, households?, geometry: Polygon|MultiPolygon}; admin or supervisor of the district)")
            .ProducesProblem(403).ProducesProblem(409).ProducesProblem(422);
        g.MapGet("/api/cities/{slug}/councils/violations", Violations).WithName("CouncilViolations")
            .WithSummary("Active councils breaking the composition rule (at least one woman and one displaced-people representative)");
        g.MapGet("/api/councils/{id:long}", GetCouncil).WithName("GetCouncil")
            .WithSummary("One council: composition and the rules it breaks, its latest action plan and projects; members' names for staff only. ?at=<RFC 3339 time or date>: the council's own fields as they were then")
            .ProducesProblem(400).ProducesProblem(404);
        g.MapGet("/api/councils/{id:long}/history", CouncilHistory).WithName("GetCouncilHistory")
            .WithSummary("Every change of a council, oldest first: when, why (when given), the fields changed and the state left; who for staff only").ProducesProblem(404);
        g.MapPut("/api/councils/{id:long}", UpdateCouncil).RequireAuthorization().WithName("UpdateCouncil")
            .WithSummary("Change a council ({name?, electedOn?, status?: active|dissolved, gozar?, households?, geometry?, reason?}); the reason is kept in its history").ProducesProblem(403).ProducesProblem(422);
        g.MapPost("/api/councils/{id:long}/members", AddMember).RequireAuthorization().WithName("AddCouncilMember")
            .WithSummary("Add a member ({name, sex: female|male, displaced, role, joinedOn?})").ProducesProblem(403).ProducesProblem(422);
        g.MapPut("/api/councils/{id:long}/members/{memberId:long}", UpdateMember).RequireAuthorization().WithName("UpdateCouncilMember")
            .WithSummary("Change a member ({role?, displaced?, leftOn?}); a member who leaves keeps their record").ProducesProblem(403).ProducesProblem(422);
        g.MapPost("/api/councils/{id:long}/plans", AddPlan).RequireAuthorization().WithName("AddActionPlan")
            .WithSummary("Adopt an action plan ({adoptedOn, needs: [most pressing first], notes?}); the latest plan is the council's")
            .ProducesProblem(403).ProducesProblem(422);
        g.MapPost("/api/councils/{id:long}/projects", AddProject).RequireAuthorization().WithName("AddProject")
            .WithSummary("Add a project under a community contract ({code, name, type, executingParty, contractor?, contractAmount, status?, beneficiaries?, personDays?, womenPersonDays?, geometry})")
            .ProducesProblem(403).ProducesProblem(409).ProducesProblem(422);
        g.MapGet("/api/projects/{id:long}", GetProject).WithName("GetProject")
            .WithSummary("One project: money, status history, jobs, social audits; contractor and payments for staff only. ?at=<RFC 3339 time or date>: its money, status and jobs as they were then")
            .ProducesProblem(400).ProducesProblem(404);
        g.MapGet("/api/projects/{id:long}/history", ProjectHistory).WithName("GetProjectHistory")
            .WithSummary("Every change of a project, oldest first: when, why (when given), the fields changed (status with its reason) and the state left; who for staff only").ProducesProblem(404);
        g.MapPut("/api/projects/{id:long}", UpdateProject).RequireAuthorization().WithName("UpdateProject")
            .WithSummary("Change a project ({name?, contractAmount?, status?, reason?, beneficiaries?, personDays?, womenPersonDays?, geometry?}); a status step back needs a reason; the reason of any change is kept in its history (with a status, it is also the status's reason)")
            .ProducesProblem(403).ProducesProblem(422);
        g.MapPost("/api/projects/{id:long}/disbursements", AddDisbursement).RequireAuthorization().WithName("AddDisbursement")
            .WithSummary("Record a payment ({amount, paidOn, tranche?}); never more in total than the contract (422 disbursement-over-contract)")
            .ProducesProblem(403).ProducesProblem(422);
        g.MapPost("/api/projects/{id:long}/audits", AddAudit).RequireAuthorization().WithName("AddSocialAudit")
            .WithSummary("Record a social audit ({heldOn, participants, womenParticipants, rating, findings?})").ProducesProblem(403).ProducesProblem(422);
        g.MapGet("/api/cities/{slug}/strategic-plan", ListStrategic).WithName("StrategicPlan")
            .WithSummary("The city's and its districts' strategic action plans: prioritised capital investments");
        g.MapPost("/api/cities/{slug}/strategic-plan", AddStrategic).RequireAuthorization().WithName("AddStrategicPlanItem")
            .WithSummary("Add a prioritised capital investment ({district?, priority, title, need, estimatedCost?, status?, geometry?: point, line or polygon}; admin, supervisor or planner of the district)")
            .ProducesProblem(403).ProducesProblem(422);
        g.MapGet("/api/cities/{slug}/community/analysis", Analysis).WithName("CommunityAnalysis")
            .WithSummary("Councils' coverage of informal settlements, investment per person against deprivation per settlement and district, completion and maintenance rates, jobs and women's share");
        return app;
    }

    // ---- permissions ----

    /// <summary>Who may write a council's records: admins; supervisors of its district; facilitators of the council.</summary>
    internal static IResult? MayEdit(ClaimsPrincipal user, string slug, string district, string councilCode)
    {
        if (user.IsInRole("admin")) return null;
        if (user.IsInRole("supervisor") && user.FindAll("districts").Any(c => c.Value == "*" || c.Value == slug + ":" + district)) return null;
        if (user.IsInRole("community-facilitator") && user.FindAll("councils").Any(c => c.Value == "*" || c.Value == slug + ":" + councilCode)) return null;
        return P.Problem(403, ForbiddenCouncil, "Council not assigned",
            user.IsInRole("community-facilitator")
                ? $"Council {slug}:{councilCode} is not among the councils of your token; a facilitator edits only their own councils."
                : $"Editing council {slug}:{councilCode} needs an admin, a supervisor of district {slug}:{district} or a community facilitator of the council.");
    }

    private static IResult? MayPlan(ClaimsPrincipal user, string slug, string? district, string[] roles, string what)
    {
        if (user.IsInRole("admin")) return null;
        if (!roles.Any(user.IsInRole))
            return P.Problem(403, P.ForbiddenRole, "Role not allowed", $"{what} needs one of the roles {string.Join(", ", ["admin", .. roles])}.");
        if (user.FindAll("districts").Any(c => c.Value == "*" || (district is not null && c.Value == slug + ":" + district))) return null;
        return P.Problem(403, P.ForbiddenDistrict, "District not assigned",
            district is null ? $"{what} for the whole city needs an assignment to every district (*)." : $"You are not assigned to district {slug}:{district}.");
    }

    // ---- helpers ----

    private static IResult Invalid(string title, IEnumerable<string> problems) =>
        P.Unprocessable(InvalidInput, title, string.Join(" ", problems), new Dictionary<string, object?> { ["problems"] = problems.ToArray() });

    private static IResult Json(string json, int status = 200) => Results.Text(json, "application/json; charset=utf-8", statusCode: status);

    private static NpgsqlParameter Param(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private static async Task<(CommunityInput? Input, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(WithJsonType(request), ct);
        return problem is not null ? (null, problem) : (new CommunityInput(body), null);
    }

    // GeoJSON bodies are JSON too.
    private static HttpRequest WithJsonType(HttpRequest request)
    {
        if (request.ContentType?.Split(';')[0].Trim().Equals("application/geo+json", StringComparison.OrdinalIgnoreCase) == true)
            request.ContentType = "application/json";
        return request;
    }

    /// <summary>Parses and checks a geometry in PostGIS; returns its EWKB in EPSG:4326 or the 4xx problem.</summary>
    private static async Task<(byte[]? Ewkb, IResult? Problem)> GeometryAsync(NpgsqlDataSource db, HttpRequest request, string geoJson,
        string[] allowedTypes, string what, CancellationToken ct)
    {
        // ?crs=, else a legacy crs member of the geometry object (ST_GeomFromGeoJSON reads it, but the SRID set below
        // would silently override it).
        int srid;
        IResult? crsProblem;
        using (var geometry = JsonDocument.Parse(geoJson)) (srid, crsProblem) = RegistrationApi.ReadCrs(request, geometry.RootElement);
        if (crsProblem is not null) return (null, crsProblem);
        await using var cmd = db.CreateCommand(GeometrySql);
        cmd.Parameters.Add(Param(geoJson, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(srid, NpgsqlDbType.Integer));
        try
        {
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            var type = r.GetString(0);
            if (!allowedTypes.Contains(type))
                return (null, P.Unprocessable(P.GeometryType, "Wrong geometry type", $"A {what} is a {string.Join(" or ", allowedTypes.Select(t => t.ToLowerInvariant()))}; this is a {type.ToLowerInvariant()}."));
            if (r.GetBoolean(1))
                return (null, P.Unprocessable(P.InvalidGeometry, "Empty geometry", $"The {what}'s geometry is empty."));
            if (!r.GetBoolean(2))
            {
                var location = r.IsDBNull(4) ? null : r.GetString(4);
                return (null, P.Unprocessable(P.InvalidGeometry, "Invalid geometry", $"{r.GetString(3)}{(location is null ? "" : " at " + location)}.",
                    new Dictionary<string, object?> { ["location"] = location }));
            }
            if (r.GetBoolean(5))
                return (null, P.Unprocessable(P.InvalidGeometry, "Coordinates out of range",
                    "After transformation to EPSG:4326 the coordinates are outside longitude -180..180 or latitude -90..90. GeoJSON puts x (longitude) first; other CRS: ?crs=EPSG:<code>."));
            return ((byte[])r.GetValue(6), null);
        }
        catch (PostgresException e) when (e.SqlState is "XX000" or "22023" or "22P02" or "42883")
        {
            return (null, P.Unprocessable(P.InvalidGeoJson, "Invalid GeoJSON", $"PostGIS cannot read the geometry: {e.MessageText}."));
        }
    }

    private sealed record CouncilRow(int CityId, string Slug, long Id, string Code, string District, string Status);

    private static async Task<CouncilRow?> CouncilRowAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(CouncilRowSql + (tx is null ? "" : " FOR UPDATE OF c"), conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new CouncilRow(r.GetInt32(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetString(5)) : null;
    }

    private sealed record ProjectRow(CouncilRow Council, long Id, string Code, string Status, decimal Contract, decimal Disbursed);

    private static async Task<ProjectRow?> ProjectRowAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(ProjectRowSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var council = new CouncilRow(r.GetInt32(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetString(5));
        return new ProjectRow(council, r.GetInt64(6), r.GetString(7), r.GetString(8), r.GetDecimal(9), r.GetDecimal(10));
    }

    /// <summary>A city's JSON made by <paramref name="sql"/> ($1 slug; null when there is no such city).</summary>
    private static async Task<IResult> CityJsonAsync(NpgsqlDataSource db, string sql, string slug, CancellationToken ct, int timeoutSeconds = 30)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.Add(Param(slug, NpgsqlDbType.Text));
        cmd.CommandTimeout = timeoutSeconds;
        return await cmd.ExecuteScalarAsync(ct) is string json ? Json(json) : Problems.CityMissing(slug);
    }

    /// <summary>One record's JSON made by <paramref name="sql"/> ($1 id, $2 whether to include staff-only data).</summary>
    private static async Task<IResult> RecordJsonAsync(NpgsqlConnection conn, string sql, long id, bool staff, int status, IResult missing, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(Param(staff, NpgsqlDbType.Boolean));
        return await cmd.ExecuteScalarAsync(ct) is string json ? Json(json, status) : missing;
    }

    private static Task<IResult> CouncilJsonAsync(NpgsqlConnection conn, long id, bool personal, int status, CancellationToken ct) =>
        RecordJsonAsync(conn, CouncilSql, id, personal, status, NoCouncil(id), ct);

    private static Task<IResult> ProjectJsonAsync(NpgsqlConnection conn, long id, bool staff, int status, CancellationToken ct) =>
        RecordJsonAsync(conn, ProjectSql, id, staff, status, NoProject(id), ct);

    /// <summary>Whether the request may see a council's staff-only data (members, payments): those who may edit it.</summary>
    private static bool IsStaffOf(ClaimsPrincipal user, CouncilRow row) =>
        user.Identity?.IsAuthenticated == true && MayEdit(user, row.Slug, row.District, row.Code) is null;

    /// <summary>Runs a write on council <paramref name="id"/> in an audited transaction, the council row locked, after
    /// checking the user may edit it (404 / 403 otherwise). <paramref name="work"/> commits.</summary>
    private static async Task<IResult> InCouncilAsync(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        Func<NpgsqlConnection, NpgsqlTransaction, CouncilRow, Task<IResult>> work)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        if (await CouncilRowAsync(conn, tx, id, ct) is not { } row) return NoCouncil(id);
        return MayEdit(http.User, row.Slug, row.District, row.Code) ?? await work(conn, tx, row);
    }

    /// <summary>The same for project <paramref name="id"/>: its row locked (payments are checked one after the other),
    /// permissions those of its council.</summary>
    private static async Task<IResult> InProjectAsync(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        Func<NpgsqlConnection, NpgsqlTransaction, ProjectRow, Task<IResult>> work)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        if (await ProjectRowAsync(conn, tx, id, ct) is not { } row) return NoProject(id);
        return MayEdit(http.User, row.Council.Slug, row.Council.District, row.Council.Code) ?? await work(conn, tx, row);
    }

    /// <summary>Names why this write is made, in its transaction: migration 0141 copies it into the council or project
    /// row the write changes, so that change's history entry carries it, public like a project's status reason (member
    /// changes take none: the council's public history must not carry words about a person). Nothing when none given.</summary>
    private static async Task SayWhyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string? reason, CancellationToken ct)
    {
        if (reason is null) return;
        await using var cmd = new NpgsqlCommand("SELECT set_config('urbanmonitor.reason', $1, true)", conn, tx);
        cmd.Parameters.Add(Param(reason, NpgsqlDbType.Text));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Null when the area (EWKB, EPSG:4326) reaches into district <paramref name="district"/> of the city (their
    /// interiors meet); otherwise a 422 <c>outside-district</c>. A council is filed under a district, and who may edit it
    /// follows that district, so its area must lie (at least partly) in it.</summary>
    private static async Task<IResult?> OutsideDistrictAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, int cityId, string slug, string district,
        byte[] ewkb, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM districts d WHERE d.city_id = $1 AND d.code = $2 AND ST_Relate(d.geom, ST_GeomFromEWKB($3), 'T********'))
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(Param(district, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(ewkb, NpgsqlDbType.Bytea));
        return (bool)(await cmd.ExecuteScalarAsync(ct))! ? null
            : P.Unprocessable(P.OutsideDistrict, "Outside the district", $"The council's area does not lie in district {slug}:{district}; draw it there or file it under the district it lies in.");
    }

    private static IResult NoCouncil(long id) => P.Problem(404, CouncilNotFound, "Council not found", $"There is no council {id}.");
    private static IResult NoProject(long id) => P.Problem(404, ProjectNotFound, "Project not found", $"There is no project {id}.");

    private static async Task<int?> CityIdAsync(NpgsqlConnection conn, string slug, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT id FROM cities WHERE slug = $1", conn);
        cmd.Parameters.Add(Param(slug, NpgsqlDbType.Text));
        return await cmd.ExecuteScalarAsync(ct) as int?;
    }

    /// <summary>Runs a write; the database's rules that a request can break become 4xx problems, never a 500.</summary>
    private static async Task<IResult> Guard(Func<Task<IResult>> work)
    {
        try
        {
            return await work();
        }
        catch (PostgresException e) when (e.SqlState == "UMC01")
        {
            return P.Unprocessable(StatusBackwards, "Status cannot go back without a reason",
                char.ToUpperInvariant(e.MessageText[0]) + e.MessageText[1..] + ". Give the reason (e.g. {\"status\": \"in-progress\", \"reason\": \"drain failed inspection\"}).");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation && e.ConstraintName == "projects_disbursed_within_contract")
        {
            return P.Unprocessable(OverContract, "Disbursements over the contract",
                "The payments of this project would exceed its contract amount; nothing was written.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return P.Problem(409, CodeTaken, "Code taken", $"The code is already used in this city ({e.ConstraintName}); codes are never reused.");
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.CheckViolation or PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.NotNullViolation)
        {
            return P.Unprocessable(InvalidInput, "Rule broken", $"The change breaks the rule {e.ConstraintName ?? e.ColumnName}: {e.MessageText}.");
        }
    }

    // ---- gozars ----

    private static Task<IResult> ListGozars(string slug, NpgsqlDataSource db, CancellationToken ct) => CityJsonAsync(db, GozarsSql, slug, ct);

    private static Task<IResult> CreateGozar(string slug, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        if (MayPlan(http.User, slug, null, ["supervisor"], "Creating a Gozar assembly") is { } forbidden) return forbidden;
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var code = input!.Text("code", 32, true);
        var name = input.Text("name", 300, true);
        var geometry = input.Geometry(false);
        if (input.Problems.Count > 0) return Invalid("Invalid Gozar", input.Problems);
        byte[]? ewkb = null;
        if (geometry is not null)
        {
            (ewkb, problem) = await GeometryAsync(db, http.Request, geometry, ["POLYGON", "MULTIPOLYGON"], "Gozar", ct);
            if (problem is not null) return problem;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await CityIdAsync(conn, slug, ct) is not { } cityId) return Problems.CityMissing(slug);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        await using var cmd = new NpgsqlCommand("INSERT INTO community_gozars (city_id, code, name, geom) VALUES ($1, $2, $3, ST_Multi(ST_GeomFromEWKB($4))) RETURNING id", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(Param(code, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(name, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(ewkb, NpgsqlDbType.Bytea));
        var id = (long)(await cmd.ExecuteScalarAsync(ct))!;
        await tx.CommitAsync(ct);
        return Results.Json(new { id, code, name }, statusCode: 201);
    });

    // ---- councils ----

    private static Task<IResult> ListCouncils(string slug, NpgsqlDataSource db, CancellationToken ct) => CityJsonAsync(db, CouncilsSql, slug, ct);

    private static Task<IResult> Violations(string slug, NpgsqlDataSource db, CancellationToken ct) => CityJsonAsync(db, ViolationsSql, slug, ct);

    private static async Task<IResult> GetCouncil(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (at, bad) = ReadAt(http.Request);
        if (bad is not null) return bad;
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await CouncilRowAsync(conn, null, id, ct) is not { } row) return NoCouncil(id);
        if (at is not null) return await AtJsonAsync(conn, CouncilAtSql, id, at.Value, IsStaffOf(http.User, row), "council", ct);
        return await CouncilJsonAsync(conn, id, IsStaffOf(http.User, row), 200, ct);
    }

    private static async Task<IResult> CouncilHistory(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await CouncilRowAsync(conn, null, id, ct) is not { } row) return NoCouncil(id);
        return await HistoryJsonAsync(conn, "councils", id, CouncilPublicFields, IsStaffOf(http.User, row), ct);
    }

    // ---- history ----

    /// <summary><c>?at=</c> as in CONTRACTS.md (an RFC 3339 time, UTC without offset; a bare date is the end of that day);
    /// a 400 problem when unreadable.</summary>
    private static (DateTimeOffset? At, IResult? Problem) ReadAt(HttpRequest request) =>
        RegistrationApi.TryParseAt(request.Query["at"].ToString(), out var at)
            ? (at, null)
            : (null, P.Problem(400, Problems.InvalidParameter, "Invalid at",
                "at must be an RFC 3339 timestamp (e.g. 2026-01-31T12:00:00Z) or a date (2026-01-31, meaning the end of that day)."));

    /// <summary>A record as it was at <paramref name="at"/> ($1 id, $2 at, $3 whether to include staff-only data); 404 when it did not exist yet.</summary>
    private static async Task<IResult> AtJsonAsync(NpgsqlConnection conn, string sql, long id, DateTimeOffset at, bool staff, string what, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(Param(at, NpgsqlDbType.TimestampTz));
        cmd.Parameters.Add(Param(staff, NpgsqlDbType.Boolean));
        return await cmd.ExecuteScalarAsync(ct) is string json
            ? Json(json)
            : P.Problem(404, what == "council" ? CouncilNotFound : ProjectNotFound, $"No {what} then",
                string.Create(CultureInfo.InvariantCulture, $"The {what} {id} did not exist yet at {at:O}."));
    }

    private static async Task<IResult> HistoryJsonAsync(NpgsqlConnection conn, string table, long id, string[] publicFields, bool staff, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(HistorySql, conn);
        cmd.Parameters.Add(Param(table, NpgsqlDbType.Text));
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(Param(staff ? [.. publicFields, .. StaffFields] : publicFields, NpgsqlDbType.Array | NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(staff, NpgsqlDbType.Boolean));
        return Json((string)(await cmd.ExecuteScalarAsync(ct))!);
    }

    private static Task<IResult> CreateCouncil(string slug, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var code = input!.Text("code", 32, true);
        var name = input.Text("name", 300, true);
        var district = input.Text("district", 32);
        var gozar = input.Text("gozar", 32);
        var elected = input.Date("electedOn");
        var households = input.Int("households");
        var geometry = input.Geometry(true);
        if (input.Problems.Count > 0) return Invalid("Invalid council", input.Problems);
        var (ewkb, geometryProblem) = await GeometryAsync(db, http.Request, geometry!, ["POLYGON", "MULTIPOLYGON"], "council area", ct);
        if (geometryProblem is not null) return geometryProblem;

        await using var conn = await db.OpenConnectionAsync(ct);
        if (await CityIdAsync(conn, slug, ct) is not { } cityId) return Problems.CityMissing(slug);
        if (district is not null && await OutsideDistrictAsync(conn, null, cityId, slug, district, ewkb!, ct) is { } outside) return outside;
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        await using var cmd = new NpgsqlCommand(CouncilInsertSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(Param(code, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(name, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(district, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(gozar, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(elected, NpgsqlDbType.Date));
        cmd.Parameters.Add(Param(households, NpgsqlDbType.Bigint));
        cmd.Parameters.Add(Param(ewkb, NpgsqlDbType.Bytea));
        long id;
        string? where;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
                return Invalid("Invalid council", [$"gozar {gozar} does not exist in {slug}; create it first (POST /api/cities/{slug}/gozars)."]);
            id = r.GetInt64(0);
            where = r.IsDBNull(1) ? null : r.GetString(1);
        }
        // Creating a council is an admin's or the district supervisor's act (facilitators are assigned to councils that exist).
        if (MayPlan(http.User, slug, where, ["supervisor"], "Creating a council") is { } forbidden) return forbidden;
        await tx.CommitAsync(ct);
        http.Response.Headers.Location = "/api/councils/" + id.ToString(CultureInfo.InvariantCulture);
        return await CouncilJsonAsync(conn, id, true, 201, ct);
    });

    private static Task<IResult> UpdateCouncil(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var name = input!.Text("name", 300);
        var elected = input.Date("electedOn");
        var status = input.OneOf("status", CouncilStatuses);
        var households = input.Int("households");
        var gozar = input.Has("gozar") ? input.Text("gozar", 32) ?? "" : null;
        var geometry = input.Geometry(false);
        var reason = input.Text("reason", 2000);
        if (input.Problems.Count > 0) return Invalid("Invalid council", input.Problems);
        byte[]? ewkb = null;
        if (geometry is not null)
        {
            (ewkb, problem) = await GeometryAsync(db, http.Request, geometry, ["POLYGON", "MULTIPOLYGON"], "council area", ct);
            if (problem is not null) return problem;
        }
        return await InCouncilAsync(id, http, db, ct, async (conn, tx, row) =>
        {
            // A new area stays in the council's district: moving it elsewhere would move it out of its editors' reach.
            if (ewkb is not null && row.District.Length > 0
                && await OutsideDistrictAsync(conn, tx, row.CityId, row.Slug, row.District, ewkb, ct) is { } outside) return outside;
            await SayWhyAsync(conn, tx, reason, ct);
            await using var cmd = new NpgsqlCommand(CouncilUpdateSql, conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            cmd.Parameters.Add(Param(name, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(elected, NpgsqlDbType.Date));
            cmd.Parameters.Add(Param(status, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(households, NpgsqlDbType.Bigint));
            cmd.Parameters.Add(Param(ewkb, NpgsqlDbType.Bytea));
            cmd.Parameters.Add(Param(gozar, NpgsqlDbType.Text));
            if (await cmd.ExecuteScalarAsync(ct) is null)
                return Invalid("Invalid council", [$"gozar {gozar} does not exist in {row.Slug}."]);
            await tx.CommitAsync(ct);
            return await CouncilJsonAsync(conn, id, true, 200, ct);
        });
    });

    // ---- members ----

    private static Task<IResult> AddMember(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var name = input!.Text("name", 300, true);
        var sex = input.OneOf("sex", ["female", "male"], true);
        var displaced = input.Bool("displaced") ?? false;
        var role = input.OneOf("role", MemberRoles) ?? "member";
        var joined = input.Date("joinedOn");
        if (input.Problems.Count > 0) return Invalid("Invalid member", input.Problems);
        return await InCouncilAsync(id, http, db, ct, async (conn, tx, row) =>
        {
            await using var cmd = new NpgsqlCommand(
                "INSERT INTO council_members (city_id, council_id, name, sex, displaced, role, joined_on) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id", conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = row.CityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            cmd.Parameters.Add(Param(name, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(sex, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(displaced, NpgsqlDbType.Boolean));
            cmd.Parameters.Add(Param(role, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(joined, NpgsqlDbType.Date));
            await cmd.ExecuteScalarAsync(ct);
            await tx.CommitAsync(ct);
            return await CouncilJsonAsync(conn, id, true, 201, ct);
        });
    });

    private static Task<IResult> UpdateMember(long id, long memberId, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var role = input!.OneOf("role", MemberRoles);
        var displaced = input.Bool("displaced");
        var left = input.Date("leftOn");
        if (input.Problems.Count > 0) return Invalid("Invalid member", input.Problems);
        return await InCouncilAsync(id, http, db, ct, async (conn, tx, row) =>
        {
            await using var cmd = new NpgsqlCommand("""
                UPDATE council_members SET role = coalesce($3, role), displaced = coalesce($4, displaced), left_on = coalesce($5, left_on)
                WHERE city_id = $1 AND council_id = $2 AND id = $6 RETURNING id
                """, conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = row.CityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            cmd.Parameters.Add(Param(role, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(displaced, NpgsqlDbType.Boolean));
            cmd.Parameters.Add(Param(left, NpgsqlDbType.Date));
            cmd.Parameters.Add(new NpgsqlParameter { Value = memberId });
            if (await cmd.ExecuteScalarAsync(ct) is null)
                return P.Problem(404, Problems.NotFound, "Member not found", $"Council {row.Code} has no member {memberId}.");
            await tx.CommitAsync(ct);
            return await CouncilJsonAsync(conn, id, true, 200, ct);
        });
    });

    // ---- action plans ----

    private static Task<IResult> AddPlan(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var adopted = input!.Date("adoptedOn", true);
        var needs = input.Needs("needs");
        var notes = input.Text("notes", 4000);
        if (input.Problems.Count > 0) return Invalid("Invalid action plan", input.Problems);
        return await InCouncilAsync(id, http, db, ct, async (conn, tx, row) =>
        {
            await using var cmd = new NpgsqlCommand(
                "INSERT INTO community_action_plans (city_id, council_id, adopted_on, needs, notes) VALUES ($1, $2, $3, $4, $5) RETURNING id", conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = row.CityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            cmd.Parameters.Add(Param(adopted, NpgsqlDbType.Date));
            cmd.Parameters.Add(Param(needs, NpgsqlDbType.Array | NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(notes, NpgsqlDbType.Text));
            await cmd.ExecuteScalarAsync(ct);
            await tx.CommitAsync(ct);
            return await CouncilJsonAsync(conn, id, true, 201, ct);
        });
    });

    // ---- projects ----

    private static async Task<IResult> GetProject(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (at, bad) = ReadAt(http.Request);
        if (bad is not null) return bad;
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await ProjectCouncilAsync(conn, id, ct) is not { } row) return NoProject(id);
        if (at is not null) return await AtJsonAsync(conn, ProjectAtSql, id, at.Value, IsStaffOf(http.User, row), "project", ct);
        return await ProjectJsonAsync(conn, id, IsStaffOf(http.User, row), 200, ct);
    }

    /// <summary>The council of project <paramref name="id"/>, whose staff see the project's staff-only data; null when no such project.</summary>
    private static async Task<CouncilRow?> ProjectCouncilAsync(NpgsqlConnection conn, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT council_id FROM projects WHERE id = $1", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        return await cmd.ExecuteScalarAsync(ct) is long councilId ? await CouncilRowAsync(conn, null, councilId, ct) : null;
    }

    private static async Task<IResult> ProjectHistory(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await ProjectCouncilAsync(conn, id, ct) is not { } row) return NoProject(id);
        return await HistoryJsonAsync(conn, "projects", id, ProjectPublicFields, IsStaffOf(http.User, row), ct);
    }

    private static readonly string[] ProjectGeometryTypes = ["POINT", "MULTIPOINT", "LINESTRING", "MULTILINESTRING", "POLYGON", "MULTIPOLYGON"];

    private static Task<IResult> AddProject(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var code = input!.Text("code", 32, true);
        var name = input.Text("name", 300, true);
        var type = input.OneOf("type", Needs, true);
        var party = input.OneOf("executingParty", Parties) ?? "council";
        var contractor = input.Text("contractor", 300);
        var amount = input.Money("contractAmount", true);
        var status = input.OneOf("status", Statuses) ?? "planned";
        var beneficiaries = input.Int("beneficiaries");
        var personDays = input.Int("personDays") ?? 0;
        var womenDays = input.Int("womenPersonDays") ?? 0;
        var geometry = input.Geometry(true);
        if (party == "third-party" && contractor is null) input.Problems.Add("contractor is required when a third party executes the project under the council's supervision.");
        if (womenDays > personDays) input.Problems.Add($"womenPersonDays ({womenDays}) cannot exceed personDays ({personDays}).");
        if (input.Problems.Count > 0) return Invalid("Invalid project", input.Problems);
        var (ewkb, geometryProblem) = await GeometryAsync(db, http.Request, geometry!, ProjectGeometryTypes, "project", ct);
        if (geometryProblem is not null) return geometryProblem;

        return await InCouncilAsync(id, http, db, ct, async (conn, tx, row) =>
        {
            await using var cmd = new NpgsqlCommand(ProjectInsertSql, conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = row.CityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            cmd.Parameters.Add(Param(code, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(name, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(type, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(party, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(contractor, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(amount, NpgsqlDbType.Numeric));
            cmd.Parameters.Add(Param(status, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(beneficiaries, NpgsqlDbType.Integer));
            cmd.Parameters.Add(Param(personDays, NpgsqlDbType.Integer));
            cmd.Parameters.Add(Param(womenDays, NpgsqlDbType.Integer));
            cmd.Parameters.Add(Param(ewkb, NpgsqlDbType.Bytea));
            var projectId = (long)(await cmd.ExecuteScalarAsync(ct))!;
            await tx.CommitAsync(ct);
            http.Response.Headers.Location = "/api/projects/" + projectId.ToString(CultureInfo.InvariantCulture);
            return await ProjectJsonAsync(conn, projectId, true, 201, ct);
        });
    });

    private static Task<IResult> UpdateProject(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var name = input!.Text("name", 300);
        var amount = input.Money("contractAmount");
        var beneficiaries = input.Int("beneficiaries");
        var personDays = input.Int("personDays");
        var womenDays = input.Int("womenPersonDays");
        var status = input.OneOf("status", Statuses);
        var reason = input.Text("reason", 2000);
        var party = input.OneOf("executingParty", Parties);
        var contractor = input.Text("contractor", 300);
        var geometry = input.Geometry(false);
        if (input.Problems.Count > 0) return Invalid("Invalid project", input.Problems);
        byte[]? ewkb = null;
        if (geometry is not null)
        {
            (ewkb, problem) = await GeometryAsync(db, http.Request, geometry, ProjectGeometryTypes, "project", ct);
            if (problem is not null) return problem;
        }
        return await InProjectAsync(id, http, db, ct, async (conn, tx, row) =>
        {
            if (status is not null && Array.IndexOf(Statuses, status) < Array.IndexOf(Statuses, row.Status) && reason is null)
                return P.Unprocessable(StatusBackwards, "Status cannot go back without a reason",
                    $"Project {row.Code} is {row.Status}; going back to {status} needs a reason (e.g. {{\"status\": \"{status}\", \"reason\": \"the drain failed inspection\"}}). Nothing was changed.");
            if (amount is { } a && a < row.Disbursed)
                return P.Unprocessable(OverContract, "Contract below what was paid",
                    string.Create(CultureInfo.InvariantCulture, $"Project {row.Code} has already been paid {row.Disbursed:0.00}; the contract amount cannot go down to {a:0.00}."));
            await SayWhyAsync(conn, tx, reason, ct);
            await using var cmd = new NpgsqlCommand(ProjectUpdateSql, conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            cmd.Parameters.Add(Param(name, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(amount, NpgsqlDbType.Numeric));
            cmd.Parameters.Add(Param(beneficiaries, NpgsqlDbType.Integer));
            cmd.Parameters.Add(Param(personDays, NpgsqlDbType.Integer));
            cmd.Parameters.Add(Param(womenDays, NpgsqlDbType.Integer));
            cmd.Parameters.Add(Param(ewkb, NpgsqlDbType.Bytea));
            cmd.Parameters.Add(Param(status, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(reason, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(party, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(contractor, NpgsqlDbType.Text));
            await cmd.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            return await ProjectJsonAsync(conn, id, true, 200, ct);
        });
    });

    private static Task<IResult> AddDisbursement(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var amount = input!.Money("amount", true, positive: true);
        var paid = input.Date("paidOn", true);
        var tranche = input.Text("tranche", 100);
        if (input.Problems.Count > 0) return Invalid("Invalid disbursement", input.Problems);
        // The project row stays locked until commit, so concurrent payments are checked one after the other.
        return await InProjectAsync(id, http, db, ct, async (conn, tx, row) =>
        {
            if (row.Disbursed + amount!.Value > row.Contract)
                return P.Unprocessable(OverContract, "Disbursement over the contract", string.Create(CultureInfo.InvariantCulture,
                    $"Project {row.Code} has a contract of {row.Contract:0.00} and {row.Disbursed:0.00} already paid; a payment of {amount:0.00} would take it to {row.Disbursed + amount:0.00}, over the contract. At most {row.Contract - row.Disbursed:0.00} remains. Nothing was written."),
                    new Dictionary<string, object?> { ["contractAmount"] = row.Contract, ["disbursed"] = row.Disbursed, ["remaining"] = row.Contract - row.Disbursed });
            await using var cmd = new NpgsqlCommand(
                "INSERT INTO community_disbursements (city_id, project_id, amount, paid_on, tranche, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)", conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = row.Council.CityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            cmd.Parameters.Add(Param(amount, NpgsqlDbType.Numeric));
            cmd.Parameters.Add(Param(paid, NpgsqlDbType.Date));
            cmd.Parameters.Add(Param(tranche, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(AuditActor.Of(http.User), NpgsqlDbType.Text));
            await cmd.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            return await ProjectJsonAsync(conn, id, true, 201, ct);
        });
    });

    private static Task<IResult> AddAudit(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var held = input!.Date("heldOn", true);
        var participants = input.Int("participants", true);
        var women = input.Int("womenParticipants") ?? 0;
        var rating = input.OneOf("rating", Ratings, true);
        var findings = input.Text("findings", 4000);
        if (participants is { } n && women > n) input.Problems.Add($"womenParticipants ({women}) cannot exceed participants ({n}).");
        if (input.Problems.Count > 0) return Invalid("Invalid social audit", input.Problems);
        return await InProjectAsync(id, http, db, ct, async (conn, tx, row) =>
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO community_social_audits (city_id, project_id, held_on, participants, women_participants, rating, findings, recorded_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = row.Council.CityId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            cmd.Parameters.Add(Param(held, NpgsqlDbType.Date));
            cmd.Parameters.Add(Param(participants, NpgsqlDbType.Integer));
            cmd.Parameters.Add(Param(women, NpgsqlDbType.Integer));
            cmd.Parameters.Add(Param(rating, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(findings, NpgsqlDbType.Text));
            cmd.Parameters.Add(Param(AuditActor.Of(http.User), NpgsqlDbType.Text));
            await cmd.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            return await ProjectJsonAsync(conn, id, true, 201, ct);
        });
    });

    // ---- strategic action plan ----

    private static Task<IResult> ListStrategic(string slug, NpgsqlDataSource db, CancellationToken ct) => CityJsonAsync(db, StrategicSql, slug, ct);

    private static Task<IResult> AddStrategic(string slug, HttpContext http, NpgsqlDataSource db, CancellationToken ct) => Guard(async () =>
    {
        var (input, problem) = await ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var district = input!.Text("district", 32);
        var priority = input.Int("priority", true);
        var title = input.Text("title", 300, true);
        var need = input.OneOf("need", Needs, true);
        var cost = input.Money("estimatedCost");
        var status = input.OneOf("status", StrategicStatuses) ?? "proposed";
        var geometry = input.Geometry(false);
        if (priority is 0) input.Problems.Add("priority starts at 1 (the most important).");
        if (input.Problems.Count > 0) return Invalid("Invalid strategic plan item", input.Problems);
        if (MayPlan(http.User, slug, district, ["supervisor", "planner"], "The strategic action plan") is { } forbidden) return forbidden;
        byte[]? ewkb = null;
        if (geometry is not null)
        {
            (ewkb, problem) = await GeometryAsync(db, http.Request, geometry, ProjectGeometryTypes, "capital investment", ct);
            if (problem is not null) return problem;
        }
        await using var conn = await db.OpenConnectionAsync(ct);
        if (await CityIdAsync(conn, slug, ct) is not { } cityId) return Problems.CityMissing(slug);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO strategic_plan_items (city_id, district_code, priority, title, need, estimated_cost, status, geom)
            SELECT $1, $2, $3, $4, $5, $6, $7, ST_GeomFromEWKB($8)
            WHERE $2::text IS NULL OR EXISTS (SELECT 1 FROM districts WHERE city_id = $1 AND code = $2)
            RETURNING id
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(Param(district, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(priority, NpgsqlDbType.Integer));
        cmd.Parameters.Add(Param(title, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(need, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(cost, NpgsqlDbType.Numeric));
        cmd.Parameters.Add(Param(status, NpgsqlDbType.Text));
        cmd.Parameters.Add(Param(ewkb, NpgsqlDbType.Bytea));
        if (await cmd.ExecuteScalarAsync(ct) is not long itemId)
            return P.Unprocessable(P.DistrictNotFound, "District not found", $"{slug} has no district {district}.");
        await tx.CommitAsync(ct);
        return Results.Json(new { id = itemId, district, priority, title, need, estimatedCost = cost, status, located = ewkb is not null }, statusCode: 201);
    });

    // ---- analysis ----

    private static Task<IResult> Analysis(string slug, NpgsqlDataSource db, CancellationToken ct) => CityJsonAsync(db, AnalysisSql, slug, ct, timeoutSeconds: 120);
}
