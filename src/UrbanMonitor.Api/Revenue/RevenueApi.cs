using UrbanMonitor.Api.Audit;
using System.Globalization;
using System.Security.Claims;
using UrbanMonitor.Api.Auth;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using UrbanMonitor.Domain.Text;
using NpgsqlTypes;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using UrbanMonitor.Api.Transactions;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Revenue;

/// <summary>
/// The municipal service charge (safayi): fiscal calendars and charge rules per city and year, set-wise assessment of a
/// city's properties in one SQL statement, payments with gapless receipt numbers, a per-property ledger that always
/// balances, printable invoices and receipts (Dari and English, Solar Hijri and Gregorian dates), and a district summary.
/// Everything here is staff-only: payment records are personal data.
/// </summary>
public static class RevenueApi
{
    public const string InvalidRule = Problems.Prefix + "invalid-charge-rule";
    public const string OverlappingRule = Problems.Prefix + "overlapping-fiscal-year";
    public const string NoRule = Problems.Prefix + "charge-rule-not-found";
    public const string InvalidPayment = Problems.Prefix + "invalid-payment";
    public const string AssessmentNotFound = Problems.Prefix + "assessment-not-found";
    public const string InvoiceNotFound = Problems.Prefix + "invoice-not-found";
    public const string ReceiptNotFound = Problems.Prefix + "receipt-not-found";

    private static readonly DateOnly EarliestPayment = new(1900, 1, 1);
    private static readonly string[] RuleSetters = ["admin", "supervisor"];
    private static readonly string[] Cashiers = ["land-officer", "supervisor", "admin"];

    private static readonly string AssessSql = Sql.Load("Revenue/assess.sql");
    private static readonly string LedgerSql = Sql.Load("Revenue/ledger.sql");
    private static readonly string SummarySql = Sql.Load("Revenue/summary.sql");
    private static readonly string AssessmentSql = Sql.Load("Revenue/assessment.sql");
    private static readonly string ReceiptSql = Sql.Load("Revenue/receipt.sql");
    private static readonly string RuleSql = Sql.Load("Revenue/rule.sql");

    public static IEndpointRouteBuilder MapRevenueApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("").RequireAuthorization().WithTags("Service charges");
        g.MapPut("/api/cities/{slug}/service-charges/fiscal-calendar", PutCalendar).WithName("PutFiscalCalendar")
            .WithSummary("Set when the city's fiscal year starts: {calendar: solar-hijri|gregorian, startMonth, startDay} (admin)");
        g.MapGet("/api/cities/{slug}/service-charges/fiscal-calendar", GetCalendar).WithName("GetFiscalCalendar")
            .WithSummary("The city's fiscal calendar (default: Solar Hijri, 1 Hamal)");
        g.MapPut("/api/cities/{slug}/service-charges/rules/{fiscalYear:int}", PutRule).WithName("PutChargeRule")
            .WithSummary("Set the service-charge rule of a fiscal year: {defaultLandUse, minimum, maximum?, exemptLandUses, rates: [{landUse, zone?, ratePerM2}], zones?: [{code, geometry}], starts?, ends?} (admin or supervisor)")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        g.MapGet("/api/cities/{slug}/service-charges/rules/{fiscalYear:int}", GetRule).WithName("GetChargeRule")
            .WithSummary("The service-charge rule of a fiscal year (staff)");
        g.MapPost("/api/cities/{slug}/service-charges/assessments", Assess).WithName("AssessServiceCharges")
            .WithSummary("Assess every active property of the city (or ?district=) for ?year= in one statement; idempotent, changes booked as adjustments (admin or supervisor)");
        g.MapGet("/api/cities/{slug}/service-charges/summary", Summary).WithName("ServiceChargeSummary")
            .WithSummary("Per district for ?year=: properties assessed, paying, amount assessed, collected, collection rate, arrears; city totals (staff)");
        g.MapGet("/api/properties/{id:long}/assessments/{year:int}", GetAssessment).WithName("GetAssessment")
            .WithSummary("The assessment of one property for a fiscal year: rule, inputs (area, land use, zone) and amount (staff)");
        g.MapPost("/api/properties/{id:long}/payments", Pay).WithName("PayServiceCharge")
            .WithSummary("Record a payment {amount, date?, method: cash|bank|mobile|cheque, reference?}; numbered receipt; Idempotency-Key honoured (staff)");
        g.MapGet("/api/properties/{id:long}/ledger", Ledger).WithName("PropertyLedger")
            .WithSummary("Charges and adjustments (debit), payments (credit), running balance, per-year outstanding and arrears (staff; ?year= for arrears as of that year)");
        g.MapGet("/api/invoices/{number}", Invoice).WithName("Invoice")
            .WithSummary("A printable invoice in Dari and English (HTML; ?format=json) (staff)");
        g.MapGet("/api/receipts/{number}", Receipt).WithName("Receipt")
            .WithSummary("A printable receipt in Dari and English (HTML; ?format=json) (staff)");
        return app;
    }

    // ---- access ----

    private static IResult? CityForbidden(ClaimsPrincipal user, string[] roles, string slug)
    {
        if (!roles.Any(user.IsInRole))
            return P.Problem(403, P.ForbiddenRole, "Role not allowed", $"This needs the role {string.Join(" or ", roles)}.");
        if (!user.FindAll("districts").Any(c => c.Value == "*" || c.Value.StartsWith(slug + ":", StringComparison.Ordinal)))
            return P.Problem(403, P.ForbiddenDistrict, "City not assigned", $"You are assigned to no district of {slug}.");
        return null;
    }

    private sealed record City(int Id, string Code, string Name, FiscalCalendar Calendar);

    private static async Task<City?> CityAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string slug, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT c.id, c.code, c.name, f.calendar, f.start_month, f.start_day
            FROM cities c LEFT JOIN fiscal_calendars f ON f.city_id = c.id WHERE c.slug = $1
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = slug });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var cal = r.IsDBNull(3) ? FiscalCalendar.Afghan : new FiscalCalendar(r.GetString(3), r.GetInt32(4), r.GetInt32(5));
        return new City(r.GetInt32(0), r.GetString(1), r.GetString(2), cal);
    }

    private static async Task<List<string>> DistrictsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, int cityId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT code FROM districts WHERE city_id = $1", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<string>();
        while (await r.ReadAsync(ct)) list.Add(r.GetString(0));
        return list;
    }

    private sealed record PropertyRow(int CityId, string Slug, string CityCode, string Code, string District, FiscalCalendar Calendar);

    private static async Task<PropertyRow?> PropertyAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT p.city_id, c.slug, c.code, p.code, p.district_code, f.calendar, f.start_month, f.start_day
            FROM properties p JOIN cities c ON c.id = p.city_id LEFT JOIN fiscal_calendars f ON f.city_id = c.id
            WHERE p.id = $1
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var cal = r.IsDBNull(5) ? FiscalCalendar.Afghan : new FiscalCalendar(r.GetString(5), r.GetInt32(6), r.GetInt32(7));
        return new PropertyRow(r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), cal);
    }

    private static IResult PropertyMissing(long id) => P.Problem(404, P.PropertyNotFound, "Property not found", $"There is no property {id}.");

    private static IResult Json(JsonNode node, int status = 200) => Results.Text(node.ToJsonString(), "application/json", statusCode: status);

    private static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    // ---- fiscal calendar ----

    private static async Task<IResult> PutCalendar(string slug, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (CityForbidden(http.User, ["admin"], slug) is { } forbidden) return forbidden;
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        var cal = new FiscalCalendar(body.Text("calendar") ?? "solar-hijri", (int)(body.Long("startMonth") ?? 0), (int)(body.Long("startDay") ?? 0));
        if (cal.Problem() is { } why) return P.Unprocessable(InvalidRule, "Invalid fiscal calendar", why);
        await using var conn = await db.OpenConnectionAsync(ct);
        var city = await CityAsync(conn, null, slug, ct);
        if (city is null) return Problems.CityMissing(slug);
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO fiscal_calendars (city_id, calendar, start_month, start_day) VALUES ($1, $2, $3, $4)
            ON CONFLICT (city_id) DO UPDATE SET calendar = EXCLUDED.calendar, start_month = EXCLUDED.start_month, start_day = EXCLUDED.start_day
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = city.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = cal.Calendar });
        cmd.Parameters.Add(new NpgsqlParameter { Value = cal.StartMonth });
        cmd.Parameters.Add(new NpgsqlParameter { Value = cal.StartDay });
        await cmd.ExecuteNonQueryAsync(ct);
        return Json(CalendarJson(cal));
    }

    private static JsonObject CalendarJson(FiscalCalendar cal)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var year = cal.YearOf(today);
        return new JsonObject
        {
            ["calendar"] = cal.Calendar, ["startMonth"] = cal.StartMonth, ["startDay"] = cal.StartDay,
            ["currentFiscalYear"] = year, ["currentStarts"] = D(cal.Start(year)), ["currentEnds"] = D(cal.Start(year + 1)),
        };
    }

    private static async Task<IResult> GetCalendar(string slug, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (CityForbidden(http.User, Cashiers, slug) is { } forbidden) return forbidden;
        await using var conn = await db.OpenConnectionAsync(ct);
        var city = await CityAsync(conn, null, slug, ct);
        return city is null ? Problems.CityMissing(slug) : Json(CalendarJson(city.Calendar));
    }

    // ---- rules ----

    private static async Task<IResult> PutRule(string slug, int fiscalYear, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (CityForbidden(http.User, RuleSetters, slug) is { } forbidden) return forbidden;
        if (fiscalYear is < 1000 or > 3000) return P.Unprocessable(InvalidRule, "Invalid charge rule", "fiscalYear must be a year from 1000 to 3000.");
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        var city = await CityAsync(conn, tx, slug, ct);
        if (city is null) return Problems.CityMissing(slug);
        ServiceChargeRule rule;
        try { rule = ServiceChargeRule.Parse(body, await DistrictsAsync(conn, tx, city.Id, ct)); }
        catch (FormatException e) { return P.Unprocessable(InvalidRule, "Invalid charge rule", e.Message); }
        var starts = rule.Starts ?? city.Calendar.Start(fiscalYear);
        var ends = rule.Ends ?? city.Calendar.Start(fiscalYear + 1);

        await RegistrationApi.LockCityAsync(conn, tx, city.Id, ct);
        await using (var overlap = new NpgsqlCommand("""
            SELECT fiscal_year, starts, ends FROM charge_rules
            WHERE city_id = $1 AND fiscal_year <> $2 AND daterange(starts, ends) && daterange($3, $4) ORDER BY starts LIMIT 1
            """, conn, tx))
        {
            overlap.Parameters.Add(new NpgsqlParameter { Value = city.Id });
            overlap.Parameters.Add(new NpgsqlParameter { Value = fiscalYear });
            overlap.Parameters.Add(new NpgsqlParameter { Value = starts });
            overlap.Parameters.Add(new NpgsqlParameter { Value = ends });
            await using var r = await overlap.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct))
                return P.Problem(409, OverlappingRule, "Overlapping fiscal years",
                    $"Fiscal year {fiscalYear} ({D(starts)} to {D(ends)}, end exclusive) overlaps fiscal year {r.GetInt32(0)} ({D(r.GetFieldValue<DateOnly>(1))} to {D(r.GetFieldValue<DateOnly>(2))}).");
        }

        var user = RegistrationApi.UserId(http.User);
        await using (var upsert = new NpgsqlCommand("""
            INSERT INTO charge_rules (city_id, fiscal_year, starts, ends, default_land_use, minimum, maximum, exempt_land_uses, set_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (city_id, fiscal_year) DO UPDATE SET starts = EXCLUDED.starts, ends = EXCLUDED.ends,
                default_land_use = EXCLUDED.default_land_use, minimum = EXCLUDED.minimum, maximum = EXCLUDED.maximum,
                exempt_land_uses = EXCLUDED.exempt_land_uses, set_by = EXCLUDED.set_by, set_at = now()
            """, conn, tx))
        {
            upsert.Parameters.Add(new NpgsqlParameter { Value = city.Id });
            upsert.Parameters.Add(new NpgsqlParameter { Value = fiscalYear });
            upsert.Parameters.Add(new NpgsqlParameter { Value = starts });
            upsert.Parameters.Add(new NpgsqlParameter { Value = ends });
            upsert.Parameters.Add(new NpgsqlParameter { Value = rule.DefaultLandUse });
            upsert.Parameters.Add(new NpgsqlParameter { Value = rule.Minimum });
            upsert.Parameters.Add(new NpgsqlParameter { Value = (object?)rule.Maximum ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Numeric });
            upsert.Parameters.Add(new NpgsqlParameter { Value = rule.ExemptLandUses.ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter { Value = user });
            await upsert.ExecuteNonQueryAsync(ct);
        }
        foreach (var table in new[] { "charge_rates", "charge_zones" })
        {
            await using var del = new NpgsqlCommand($"DELETE FROM {table} WHERE city_id = $1 AND fiscal_year = $2", conn, tx);
            del.Parameters.Add(new NpgsqlParameter { Value = city.Id });
            del.Parameters.Add(new NpgsqlParameter { Value = fiscalYear });
            await del.ExecuteNonQueryAsync(ct);
        }
        foreach (var z in rule.Zones)
        {
            await using var ins = new NpgsqlCommand("""
                WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($4), 4326) AS g),
                d AS (SELECT g.g, ST_IsValidDetail(g.g) AS v FROM g),
                i AS (INSERT INTO charge_zones (city_id, fiscal_year, code, geom)
                      SELECT $1, $2, $3, ST_Multi(d.g) FROM d WHERE (d.v).valid AND NOT ST_IsEmpty(d.g) RETURNING 1)
                SELECT (SELECT count(*) FROM i)::int, ST_IsEmpty(d.g), (d.v).reason, ST_AsText((d.v).location) FROM d
                """, conn, tx);
            ins.Parameters.Add(new NpgsqlParameter { Value = city.Id });
            ins.Parameters.Add(new NpgsqlParameter { Value = fiscalYear });
            ins.Parameters.Add(new NpgsqlParameter { Value = z.Code });
            ins.Parameters.Add(new NpgsqlParameter { Value = z.GeoJson });
            try
            {
                await using var r = await ins.ExecuteReaderAsync(ct);
                await r.ReadAsync(ct);
                if (r.GetInt32(0) == 0)
                    return r.GetBoolean(1)
                        ? P.Unprocessable(InvalidRule, "Invalid charge rule", $"Zone '{z.Code}' has an empty geometry.")
                        : P.Unprocessable(InvalidRule, "Invalid charge rule",
                            $"Zone '{z.Code}' has an invalid geometry: {r.GetString(2)}{(r.IsDBNull(3) ? "" : " at " + r.GetString(3))}.",
                            new Dictionary<string, object?> { ["location"] = r.IsDBNull(3) ? null : r.GetString(3) });
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InternalError || e.SqlState.StartsWith("22", StringComparison.Ordinal))
            {
                return P.Unprocessable(InvalidRule, "Invalid charge rule", $"Zone '{z.Code}': {e.MessageText}");
            }
        }
        foreach (var rate in rule.Rates)
        {
            await using var ins = new NpgsqlCommand("INSERT INTO charge_rates (city_id, fiscal_year, land_use, zone, rate_per_m2) VALUES ($1, $2, $3, $4, $5)", conn, tx);
            ins.Parameters.Add(new NpgsqlParameter { Value = city.Id });
            ins.Parameters.Add(new NpgsqlParameter { Value = fiscalYear });
            ins.Parameters.Add(new NpgsqlParameter { Value = rate.LandUse });
            ins.Parameters.Add(new NpgsqlParameter { Value = rate.Zone });
            ins.Parameters.Add(new NpgsqlParameter { Value = rate.RatePerM2 });
            await ins.ExecuteNonQueryAsync(ct);
        }
        var json = await RuleJsonAsync(conn, tx, city.Id, fiscalYear, ct);
        await tx.CommitAsync(ct);
        return Results.Text(json!, "application/json");
    }

    private static async Task<string?> RuleJsonAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, int cityId, int year, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(RuleSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = year });
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    private static async Task<IResult> GetRule(string slug, int fiscalYear, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (CityForbidden(http.User, Cashiers, slug) is { } forbidden) return forbidden;
        await using var conn = await db.OpenConnectionAsync(ct);
        var city = await CityAsync(conn, null, slug, ct);
        if (city is null) return Problems.CityMissing(slug);
        var json = await RuleJsonAsync(conn, null, city.Id, fiscalYear, ct);
        return json is null
            ? P.Problem(404, NoRule, "No charge rule", $"{slug} has no service-charge rule for fiscal year {fiscalYear}.")
            : Results.Text(json, "application/json");
    }

    // ---- assessment ----

    private static async Task<IResult> Assess(string slug, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (CityForbidden(http.User, RuleSetters, slug) is { } forbidden) return forbidden;
        if (!int.TryParse(http.Request.Query["year"], NumberStyles.None, CultureInfo.InvariantCulture, out var year))
            return P.Problem(400, Problems.InvalidParameter, "Year required", "Give the fiscal year to assess as ?year= (e.g. 1404).");
        var district = http.Request.Query["district"].ToString() is { Length: > 0 } d ? d : null;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        var city = await CityAsync(conn, tx, slug, ct);
        if (city is null) return Problems.CityMissing(slug);
        if (district is not null && !(await DistrictsAsync(conn, tx, city.Id, ct)).Contains(district))
            return P.Problem(404, Problems.NotFound, "District not found", $"{slug} has no district '{district}'.");
        // An assessment writes charges into properties' ledgers: only in the districts the caller is assigned to (the whole
        // city needs *), as every other write of the registry.
        var assigned = DistrictClaims.InCity(http.User, slug);
        if (district is not null && assigned is not null && !assigned.Contains(district))
            return P.Problem(403, P.ForbiddenDistrict, "District not assigned", $"You are not assigned to district {slug}:{district}.");
        string[]? scope = district is not null ? [district] : assigned;
        if (await RuleJsonAsync(conn, tx, city.Id, year, ct) is null)
            return P.Problem(409, NoRule, "No charge rule", $"{slug} has no service-charge rule for fiscal year {year}; PUT one first.");
        // The invoice counter row, locked: it serialises assessment runs of a city and year and numbers their invoices.
        await using (var lockCounter = new NpgsqlCommand("""
            INSERT INTO number_counters (city_id, series, fiscal_year) VALUES ($1, 'invoice', $2) ON CONFLICT DO NOTHING
            """, conn, tx))
        {
            lockCounter.Parameters.Add(new NpgsqlParameter { Value = city.Id });
            lockCounter.Parameters.Add(new NpgsqlParameter { Value = year });
            await lockCounter.ExecuteNonQueryAsync(ct);
        }
        await using (var lockRow = new NpgsqlCommand("SELECT last FROM number_counters WHERE city_id = $1 AND series = 'invoice' AND fiscal_year = $2 FOR UPDATE", conn, tx))
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = city.Id });
            lockRow.Parameters.Add(new NpgsqlParameter { Value = year });
            await lockRow.ExecuteNonQueryAsync(ct);
        }
        await using var cmd = new NpgsqlCommand(AssessSql, conn, tx) { CommandTimeout = 3600 };
        cmd.Parameters.Add(new NpgsqlParameter { Value = city.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = year });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)scope ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = RegistrationApi.UserId(http.User), NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = city.Code, NpgsqlDbType = NpgsqlDbType.Text });
        var result = new JsonObject { ["city"] = slug, ["fiscalYear"] = year, ["district"] = district, ["currency"] = "AFN" };
        if (district is null && scope is not null) result["districts"] = new JsonArray([.. scope.Order(StringComparer.Ordinal).Select(d => (JsonNode?)d)]);
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            result["properties"] = r.GetInt64(0);
            result["assessed"] = r.GetInt64(1);
            result["reassessed"] = r.GetInt64(2);
            result["adjustments"] = r.GetInt64(3);
            result["amount"] = r.GetDecimal(4);
            result["booked"] = r.GetDecimal(5);
            result["exempt"] = r.GetInt64(6);
        }
        await tx.CommitAsync(ct);
        return Json(result);
    }

    private sealed record Assessment(string Slug, string CityCode, string Code, string District, string Invoice, int Year, DateOnly Starts, DateOnly Ends,
        string LandUse, string Zone, decimal Area, decimal Rate, bool Exempt, decimal Amount, decimal Minimum, decimal? Maximum, string DefaultLandUse,
        string[] ExemptLandUses, DateTime AssessedAt, string AssessedBy, long PropertyId);

    private static async Task<Assessment?> AssessmentAsync(NpgsqlConnection conn, long? property, int? year, string? invoice, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(AssessmentSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)property ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)year ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)invoice ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new Assessment(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5),
            r.GetFieldValue<DateOnly>(6), r.GetFieldValue<DateOnly>(7), r.GetString(8), r.GetString(9), r.GetDecimal(10), r.GetDecimal(11),
            r.GetBoolean(12), r.GetDecimal(13), r.GetDecimal(14), r.IsDBNull(15) ? null : r.GetDecimal(15), r.GetString(16),
            r.GetFieldValue<string[]>(17), r.GetDateTime(18), r.GetString(19), r.GetInt64(20));
    }

    private static JsonObject AssessmentJson(Assessment a) => new()
    {
        ["propertyId"] = a.PropertyId, ["propertyCode"] = a.Code, ["city"] = a.Slug, ["district"] = a.District,
        ["fiscalYear"] = a.Year, ["invoiceNumber"] = a.Invoice, ["currency"] = "AFN", ["amount"] = a.Amount,
        ["inputs"] = new JsonObject { ["areaM2"] = a.Area, ["landUse"] = a.LandUse, ["zone"] = a.Zone },
        ["rule"] = new JsonObject
        {
            ["fiscalYear"] = a.Year, ["starts"] = D(a.Starts), ["ends"] = D(a.Ends), ["ratePerM2"] = a.Rate, ["exempt"] = a.Exempt,
            ["minimum"] = a.Minimum, ["maximum"] = a.Maximum, ["defaultLandUse"] = a.DefaultLandUse,
            ["exemptLandUses"] = new JsonArray([.. a.ExemptLandUses.Select(x => (JsonNode?)x)]),
        },
        ["assessedAt"] = a.AssessedAt.ToString("O", CultureInfo.InvariantCulture), ["assessedBy"] = a.AssessedBy,
    };

    private static async Task<IResult> GetAssessment(long id, int year, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var p = await PropertyAsync(conn, null, id, ct);
        if (p is null) return PropertyMissing(id);
        if (RegistrationApi.Forbidden(http.User, Cashiers, p.Slug, p.District) is { } forbidden) return forbidden;
        var a = await AssessmentAsync(conn, id, year, null, ct);
        return a is null
            ? P.Problem(404, AssessmentNotFound, "Not assessed", $"{p.Code} has no assessment for fiscal year {year}.")
            : Json(AssessmentJson(a));
    }

    // ---- ledger ----

    /// <summary>One ledger line; <see cref="Amount"/> is positive for a debit (charge, adjustment up), negative for a credit.</summary>
    internal sealed record Entry(long Id, int Year, string Kind, decimal Amount, DateOnly Date, string? Invoice, string? Receipt, decimal Balance);

    internal static async Task<List<Entry>> EntriesAsync(NpgsqlConnection conn, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(LedgerSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<Entry>();
        while (await r.ReadAsync(ct))
            list.Add(new Entry(r.GetInt64(0), r.GetInt32(1), r.GetString(2), r.GetDecimal(3), r.GetFieldValue<DateOnly>(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetDecimal(7)));
        return list;
    }

    /// <summary>Per fiscal year: charged (charges + adjustments), paid (payments applied to the oldest charges first)
    /// and outstanding. Credit left over after every year is paid shows as a negative balance, not here.</summary>
    internal static List<(int Year, decimal Charged, decimal Paid, decimal Outstanding)> Years(IEnumerable<Entry> entries)
    {
        var list = entries.ToList();
        var credit = -list.Where(e => e.Kind == "payment").Sum(e => e.Amount);
        var years = new List<(int, decimal, decimal, decimal)>();
        foreach (var g in list.Where(e => e.Kind != "payment").GroupBy(e => e.Year).OrderBy(g => g.Key))
        {
            var charged = g.Sum(e => e.Amount);
            var paid = Math.Min(Math.Max(charged, 0), credit);
            credit -= paid;
            years.Add((g.Key, charged, paid, charged - paid));
        }
        return years;
    }

    private static async Task<IResult> Ledger(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var p = await PropertyAsync(conn, null, id, ct);
        if (p is null) return PropertyMissing(id);
        if (RegistrationApi.Forbidden(http.User, Cashiers, p.Slug, p.District) is { } forbidden) return forbidden;
        var asOf = p.Calendar.YearOf(DateOnly.FromDateTime(DateTime.UtcNow));
        if (http.Request.Query["year"].ToString() is { Length: > 0 } y)
        {
            if (!int.TryParse(y, NumberStyles.None, CultureInfo.InvariantCulture, out asOf))
                return P.Problem(400, Problems.InvalidParameter, "Invalid year", "year must be a fiscal year number.");
        }
        var entries = await EntriesAsync(conn, id, ct);
        var years = Years(entries);
        var json = new JsonObject
        {
            ["propertyId"] = id, ["propertyCode"] = p.Code, ["currency"] = "AFN", ["fiscalYear"] = asOf,
            ["entries"] = new JsonArray([.. entries.Select(e => (JsonNode?)new JsonObject
            {
                ["id"] = e.Id, ["fiscalYear"] = e.Year, ["kind"] = e.Kind, ["date"] = D(e.Date), ["dateSolarHijri"] = FiscalCalendar.SolarHijri(e.Date),
                ["debit"] = e.Amount > 0 ? e.Amount : 0m, ["credit"] = e.Amount < 0 ? -e.Amount : 0m,
                ["invoiceNumber"] = e.Invoice, ["receiptNumber"] = e.Receipt, ["balance"] = e.Balance,
            })]),
            ["debits"] = entries.Where(e => e.Amount > 0).Sum(e => e.Amount),
            ["credits"] = -entries.Where(e => e.Amount < 0).Sum(e => e.Amount),
            ["balance"] = entries.Sum(e => e.Amount),
            ["years"] = new JsonArray([.. years.Select(t => (JsonNode?)new JsonObject
            {
                ["fiscalYear"] = t.Year, ["charged"] = t.Charged, ["paid"] = t.Paid, ["outstanding"] = t.Outstanding,
            })]),
            ["arrears"] = years.Where(t => t.Year < asOf).Sum(t => t.Outstanding),
        };
        return Json(json);
    }

    // ---- payments ----

    private static async Task<IResult> Pay(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ct);
        if (problem is not null) return problem;
        if (!body.TryGetProperty("amount", out var a) || a.ValueKind != JsonValueKind.Number || !a.TryGetDecimal(out var amount)
            || amount <= 0 || amount > 1_000_000_000m || decimal.Round(amount, 2) != amount)
            return P.Unprocessable(InvalidPayment, "Invalid payment", "amount must be a positive number of AFN with at most two decimals.");
        var method = body.Text("method") ?? "cash";
        if (method is not ("cash" or "bank" or "mobile" or "cheque"))
            return P.Unprocessable(InvalidPayment, "Invalid payment", "method must be cash, bank, mobile or cheque.");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var date = today;
        if (body.Text("date") is { } ds && !DateOnly.TryParseExact(ds, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
            return P.Unprocessable(InvalidPayment, "Invalid payment", "date must be a date (yyyy-MM-dd).");
        if (date > today.AddDays(1)) return P.Unprocessable(InvalidPayment, "Invalid payment", "A payment cannot be dated in the future.");
        // Before 1900 is a typo, and before 622 outside the Solar Hijri calendar (which threw).
        if (date < EarliestPayment)
            return P.Unprocessable(InvalidPayment, "Invalid payment", $"A payment cannot be dated before {D(EarliestPayment)}.");
        var reference = body.Text("reference");
        if (reference is not null && TextRules.Problem("reference", reference, 100) is { } badReference)
            return P.Unprocessable(InvalidPayment, "Invalid payment", badReference);
        var key = http.Request.Headers["Idempotency-Key"].ToString();
        var user = RegistrationApi.UserId(http.User);
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\u001f', id, amount.ToString(CultureInfo.InvariantCulture), D(date), method, reference))));

        await using var conn = await db.OpenConnectionAsync(ct);
        var p = await PropertyAsync(conn, null, id, ct);
        if (p is null) return PropertyMissing(id);
        if (RegistrationApi.Forbidden(http.User, Cashiers, p.Slug, p.District) is { } forbidden) return forbidden;

        if (key.Length > 0 && await ReplayAsync(conn, p.CityId, user, key, hash, ct) is { } replay) return replay;
        var year = p.Calendar.YearOf(date);
        long paymentId;
        await using (var tx = await AuditActor.BeginAsync(conn, http.User, ct))
        {
            try
            {
                // The receipt counter row of the city and year, locked until commit: numbers are gapless.
                await using var cmd = new NpgsqlCommand("""
                    WITH n AS (
                        INSERT INTO number_counters AS c (city_id, series, fiscal_year, last) VALUES ($1, 'receipt', $3, 1)
                        ON CONFLICT (city_id, series, fiscal_year) DO UPDATE SET last = c.last + 1
                        RETURNING last
                    ), pay AS (
                        INSERT INTO charge_payments (city_id, property_id, receipt_number, fiscal_year, paid_on, amount, method, reference,
                                                     received_by, idempotency_key, request_hash)
                        SELECT $1, $2, $4 || '-' || $3::text || '-R' || um_document_number(n.last), $3, $5, $6, $7, $8, $9, $10, $11 FROM n
                        RETURNING id, receipt_number
                    ), led AS (
                        INSERT INTO ledger_entries (city_id, property_id, fiscal_year, kind, amount, entry_date, payment_id, entered_by)
                        SELECT $1, $2, $3, 'payment', -$6, $5, pay.id, $9 FROM pay
                    )
                    SELECT id FROM pay
                    """, conn, tx);
                cmd.Parameters.Add(new NpgsqlParameter { Value = p.CityId });
                cmd.Parameters.Add(new NpgsqlParameter { Value = id });
                cmd.Parameters.Add(new NpgsqlParameter { Value = year });
                cmd.Parameters.Add(new NpgsqlParameter { Value = p.CityCode, NpgsqlDbType = NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = date });
                cmd.Parameters.Add(new NpgsqlParameter { Value = amount, NpgsqlDbType = NpgsqlDbType.Numeric });
                cmd.Parameters.Add(new NpgsqlParameter { Value = method });
                cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)reference ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = user });
                cmd.Parameters.Add(new NpgsqlParameter { Value = key.Length > 0 ? key : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = hash });
                paymentId = (long)(await cmd.ExecuteScalarAsync(ct))!;
                await tx.CommitAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && key.Length > 0)
            {
                await tx.RollbackAsync(ct);
                return await ReplayAsync(conn, p.CityId, user, key, hash, ct) ?? P.Problem(409, Problems.TypeFor(409), "Retry", "A payment with this Idempotency-Key is in progress; retry.");
            }
        }
        var receipt = await ReceiptAsync(conn, null, paymentId, ct);
        http.Response.Headers.Location = "/api/receipts/" + receipt!.Number;
        return Json(ReceiptJson(receipt), 201);
    }

    private static async Task<IResult?> ReplayAsync(NpgsqlConnection conn, int cityId, string user, string key, string hash, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT id, request_hash FROM charge_payments WHERE city_id = $1 AND received_by = $2 AND idempotency_key = $3", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = user });
        cmd.Parameters.Add(new NpgsqlParameter { Value = key });
        long id;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) return null;
            if (r.GetString(1) != hash)
                return P.Unprocessable(P.IdempotencyKeyReused, "Idempotency-Key reused",
                    "This Idempotency-Key was already used for a different payment; use a new key for a new payment.");
            id = r.GetInt64(0);
        }
        var receipt = await ReceiptAsync(conn, null, id, ct);
        return Json(ReceiptJson(receipt!), 201);
    }

    internal sealed record ReceiptRow(string Slug, string CityCode, string CityName, string PropertyCode, string District, long Id, string Number,
        int Year, DateOnly PaidOn, decimal Amount, string Method, string? Reference, string ReceivedBy, DateTime ReceivedAt, long PropertyId, decimal BalanceAfter);

    private static async Task<ReceiptRow?> ReceiptAsync(NpgsqlConnection conn, string? number, long? id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(ReceiptSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)number ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)id ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new ReceiptRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetString(6),
            r.GetInt32(7), r.GetFieldValue<DateOnly>(8), r.GetDecimal(9), r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11),
            r.GetString(12), r.GetDateTime(13), r.GetInt64(14), r.GetDecimal(15));
    }

    private static JsonObject ReceiptJson(ReceiptRow r) => new()
    {
        ["id"] = r.Id, ["receiptNumber"] = r.Number, ["propertyId"] = r.PropertyId, ["propertyCode"] = r.PropertyCode,
        ["city"] = r.Slug, ["district"] = r.District, ["fiscalYear"] = r.Year, ["paidOn"] = D(r.PaidOn),
        ["paidOnSolarHijri"] = FiscalCalendar.SolarHijri(r.PaidOn), ["amount"] = r.Amount, ["currency"] = "AFN",
        ["method"] = r.Method, ["reference"] = r.Reference, ["receivedBy"] = r.ReceivedBy, ["balanceAfter"] = r.BalanceAfter,
    };

    // ---- invoice and receipt documents ----

    private static bool WantsJson(HttpRequest request) =>
        request.Query["format"] == "json" || (request.Query["format"].Count == 0 && request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal));

    private static async Task<IResult> Invoice(string number, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var a = await AssessmentAsync(conn, null, null, number, ct);
        if (a is null) return P.Problem(404, InvoiceNotFound, "Invoice not found", $"There is no invoice {number}.");
        if (RegistrationApi.Forbidden(http.User, Cashiers, a.Slug, a.District) is { } forbidden) return forbidden;
        var years = Years(await EntriesAsync(conn, a.PropertyId, ct));
        var self = years.FirstOrDefault(t => t.Year == a.Year);
        var arrears = years.Where(t => t.Year < a.Year).Sum(t => t.Outstanding);
        var json = AssessmentJson(a);
        json["charged"] = self.Charged;
        json["paid"] = self.Paid;
        json["outstanding"] = self.Outstanding;
        json["arrears"] = arrears;
        json["totalDue"] = self.Outstanding + arrears;
        if (WantsJson(http.Request)) return Json(json);
        return Results.Content(RevenueHtml.Invoice(a.CityCode, a.Code, a.District, a.Invoice, a.Year, a.Starts, a.Ends, a.Area, a.LandUse, a.Zone,
            a.Rate, a.Exempt, self.Charged, self.Paid, self.Outstanding, arrears, DateOnly.FromDateTime(a.AssessedAt)), "text/html; charset=utf-8");
    }

    private static async Task<IResult> Receipt(string number, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var r = await ReceiptAsync(conn, number, null, ct);
        if (r is null) return P.Problem(404, ReceiptNotFound, "Receipt not found", $"There is no receipt {number}.");
        if (RegistrationApi.Forbidden(http.User, Cashiers, r.Slug, r.District) is { } forbidden) return forbidden;
        if (WantsJson(http.Request)) return Json(ReceiptJson(r));
        return Results.Content(RevenueHtml.Receipt(r), "text/html; charset=utf-8");
    }

    // ---- district summary ----

    private static async Task<IResult> Summary(string slug, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (CityForbidden(http.User, Cashiers, slug) is { } forbidden) return forbidden;
        if (!int.TryParse(http.Request.Query["year"], NumberStyles.None, CultureInfo.InvariantCulture, out var year))
            return P.Problem(400, Problems.InvalidParameter, "Year required", "Give the fiscal year as ?year= (e.g. 1404).");
        await using var conn = await db.OpenConnectionAsync(ct);
        var city = await CityAsync(conn, null, slug, ct);
        if (city is null) return Problems.CityMissing(slug);
        await using var cmd = new NpgsqlCommand(SummarySql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = city.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = year });
        var districts = new JsonArray();
        long assessed = 0, paying = 0;
        decimal amount = 0, collected = 0, arrears = 0;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var (a, py, am, co, ar) = (r.GetInt64(2), r.GetInt64(3), r.GetDecimal(4), r.GetDecimal(5), r.GetDecimal(6));
                assessed += a; paying += py; amount += am; collected += co; arrears += ar;
                districts.Add(new JsonObject
                {
                    ["district"] = r.GetString(0), ["name"] = r.GetString(1), ["propertiesAssessed"] = a, ["paying"] = py,
                    ["amountAssessed"] = am, ["collected"] = co, ["collectionRate"] = Rate(co, am), ["arrears"] = ar,
                });
            }
        }
        return Json(new JsonObject
        {
            ["city"] = slug, ["fiscalYear"] = year, ["currency"] = "AFN", ["districts"] = districts,
            ["totals"] = new JsonObject
            {
                ["propertiesAssessed"] = assessed, ["paying"] = paying, ["amountAssessed"] = amount, ["collected"] = collected,
                ["collectionRate"] = Rate(collected, amount), ["arrears"] = arrears,
            },
        });
    }

    /// <summary>Collected over assessed, rounded to 4 places; null when nothing was assessed.</summary>
    private static decimal? Rate(decimal collected, decimal assessed) => assessed == 0 ? null : decimal.Round(collected / assessed, 4);
}
