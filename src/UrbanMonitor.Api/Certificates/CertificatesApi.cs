using UrbanMonitor.Api.Audit;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Documents;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using UrbanMonitor.Domain.Calendars;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Certificates;

/// <summary>Certificates (section <c>Certificates</c>; env <c>URBANMONITOR_Certificates__PublicBaseUrl</c> …).</summary>
public sealed class CertificatesOptions
{
    /// <summary>Where the public verification page is reached, e.g. <c>https://registry.mazar.gov.af</c>; empty: the
    /// scheme and host of the request that issued the certificate.</summary>
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>The offset from UTC of the city's calendar day, for the printed dates (default +04:30, Kabul).</summary>
    public TimeSpan UtcOffset { get; set; } = new(4, 30, 0);
}

/// <summary>One holder printed on a certificate: name (any script), kind of right, share (0–1].</summary>
public sealed record CertificateHolder(string Name, string Kind, decimal Share);

/// <summary>Everything a certificate prints. Areas in m²; geometries in the UTM zone <see cref="UtmEpsg"/>, metres.</summary>
public sealed record CertificateFacts(
    string Number, string CityName, string CityCode, string PropertyCode, string District, int Version,
    double AreaM2, int UtmEpsg, Geometry Parcel, IReadOnlyList<Geometry> Neighbours, IReadOnlyList<CertificateHolder> Holders,
    DateTimeOffset IssuedAt, TimeSpan UtcOffset)
{
    /// <summary>SHA-256 (hex) of the printed facts in a fixed text form: numbers rounded as printed, holders in order.</summary>
    public string ContentHash()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{CityCode}|{PropertyCode}|{District}|v{Version}|{AreaM2:0.00}|EPSG:{UtmEpsg}|");
        foreach (var c in Parcel.Coordinates) text.Append(CultureInfo.InvariantCulture, $"{c.X:0.00},{c.Y:0.00};");
        foreach (var h in Holders) text.Append(CultureInfo.InvariantCulture, $"|{h.Name}:{h.Kind}:{h.Share:0.######}");
        text.Append(CultureInfo.InvariantCulture, $"|{IssuedAt.UtcDateTime:O}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}

/// <summary>
/// Occupancy certificates: <c>GET /api/properties/{id}/certificate</c> issues (or re-issues, same number for the same
/// version) a PDF in Dari and English for a registered property that holds a right, to staff of its district; the
/// anonymous page <c>GET /verify/{number}?k={key}</c> shows what that certificate prints and whether it is still current.
/// </summary>
public static class CertificatesApi
{
    public const string NotRegistered = Problems.Prefix + "certificate-property-not-registered";
    public const string NoRight = Problems.Prefix + "certificate-without-right";

    private static readonly string PropertySql = Sql.Load("Certificates/property.sql");
    private static readonly string ExistingSql = Sql.Load("Certificates/existing.sql");
    private static readonly string InsertSql = Sql.Load("Certificates/insert.sql");
    private static readonly string FactsSql = Sql.Load("Certificates/facts.sql");
    private static readonly string VerifySql = Sql.Load("Certificates/verify.sql");

    public static WebApplicationBuilder AddCertificates(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CertificatesOptions>().BindConfiguration("Certificates");
        builder.Services.AddSingleton<CertificatePdf>();
        return builder;
    }

    public static IEndpointRouteBuilder MapCertificatesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/properties/{id:long}/certificate", Issue).RequireAuthorization().WithTags("Certificates")
            .WithName("GetPropertyCertificate")
            .WithSummary("The occupancy certificate of a registered property as a PDF (Dari and English); staff of its district; the same number for the same version")
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapGet("/verify/{number}", Verify).AllowAnonymous().WithTags("Certificates").WithName("VerifyCertificate")
            .WithSummary("Public verification page of a certificate (the key k from its QR code): what it prints and whether it is still current")
            .Produces(StatusCodes.Status200OK, contentType: "text/html").ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> Issue(long id, HttpContext http, NpgsqlDataSource db, CertificatePdf pdf,
        IOptions<CertificatesOptions> options, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await AuditActor.BeginAsync(conn, http.User, ct);
        int cityId, version;
        string cityCode, status;
        bool hasRight;
        await using (var cmd = new NpgsqlCommand(PropertySql, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
                return P.Problem(StatusCodes.Status404NotFound, P.PropertyNotFound, "Property not found", $"There is no property {id}.");
            cityId = reader.GetInt32(0);
            var slug = reader.GetString(1);
            cityCode = reader.GetString(2);
            var district = reader.GetString(3);
            status = reader.GetString(4);
            version = reader.GetInt32(5);
            var code = reader.GetString(6);
            hasRight = reader.GetBoolean(7);
            if (RegistrationApi.Forbidden(http.User, DocumentsApi.Staff, slug, district) is { } forbidden) return forbidden;
            if (status != "registered")
                return P.Problem(StatusCodes.Status409Conflict, NotRegistered, "Property not registered",
                    $"{code} is {status}; a certificate is issued only for a registered property (verify and register it first).");
            if (!hasRight)
                return P.Unprocessable(NoRight, "No right to certify",
                    $"{code} holds no current right; record the holder's right (a transaction) before issuing a certificate.");
        }

        string number, key;
        DateTimeOffset issuedAt;
        CertificateFacts facts;
        var existing = await ExistingAsync(conn, tx, cityId, id, version, ct);
        if (existing is { } found)
        {
            (number, issuedAt, key) = (found.Number, found.IssuedAt, found.Key);
            facts = (await FactsAsync(conn, tx, cityId, id, version, number, issuedAt, options.Value.UtcOffset, ct))!;
        }
        else
        {
            issuedAt = await NowAsync(conn, tx, ct);
            key = Base64Url(RandomNumberGenerator.GetBytes(24));
            // The number comes from the insert; the hash covers everything but it, so the facts are read first.
            facts = (await FactsAsync(conn, tx, cityId, id, version, "", issuedAt, options.Value.UtcOffset, ct))!;
            await using var insert = new NpgsqlCommand(InsertSql, conn, tx);
            insert.Parameters.Add(new NpgsqlParameter { Value = cityId });
            insert.Parameters.Add(new NpgsqlParameter { Value = cityCode, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = version });
            insert.Parameters.Add(new NpgsqlParameter { Value = RegistrationApi.UserId(http.User), NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = facts.ContentHash(), NpgsqlDbType = NpgsqlDbType.Text });
            await using (var reader = await insert.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    number = reader.GetString(0);
                    facts = facts with { Number = number };
                }
                else number = "";
            }
            if (number.Length == 0)
            {
                // A concurrent request issued it first: print that one.
                var winner = (await ExistingAsync(conn, tx, cityId, id, version, ct))!.Value;
                (number, issuedAt, key) = (winner.Number, winner.IssuedAt, winner.Key);
                facts = (await FactsAsync(conn, tx, cityId, id, version, number, issuedAt, options.Value.UtcOffset, ct))!;
            }
        }
        await tx.CommitAsync(ct);

        var url = VerificationUrl(http, options.Value, number, key);
        var bytes = pdf.Render(facts, url);
        http.Response.Headers.ContentDisposition = $"inline; filename=\"{number}.pdf\"";
        http.Response.Headers.CacheControl = "private, no-store";
        http.Response.Headers["X-Certificate-Number"] = number;
        return Results.Bytes(bytes, "application/pdf");
    }

    private static async Task<IResult> Verify(string number, HttpContext http, NpgsqlDataSource db, IOptions<CertificatesOptions> options, CancellationToken ct)
    {
        var key = http.Request.Query["k"].ToString();
        var missing = P.Problem(StatusCodes.Status404NotFound, Problems.NotFound, "Certificate not found",
            "No certificate has this number and key. Scan the QR code printed on the certificate.");
        if (key.Length == 0 || number.Length > 40 || key.Length > 64) return missing;
        await using var conn = await db.OpenConnectionAsync(ct);
        int cityId, version;
        long propertyId;
        DateTimeOffset issuedAt;
        bool current;
        await using (var cmd = new NpgsqlCommand(VerifySql, conn))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = number, NpgsqlDbType = NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return missing;
            cityId = reader.GetInt32(0);
            propertyId = reader.GetInt64(1);
            version = reader.GetInt32(2);
            issuedAt = reader.GetFieldValue<DateTimeOffset>(4);
            current = reader.GetBoolean(6);
        }
        var facts = await FactsAsync(conn, null, cityId, propertyId, version, number, issuedAt, options.Value.UtcOffset, ct);
        if (facts is null) return missing;
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["X-Robots-Tag"] = "noindex";
        return Results.Content(VerificationPage(facts, current), "text/html; charset=utf-8");
    }

    private static async Task<(string Number, DateTimeOffset IssuedAt, string Key)?> ExistingAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, int cityId, long id, int version, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(ExistingSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = version });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2)) : null;
    }

    private static async Task<DateTimeOffset> NowAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT now()", conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    internal static async Task<CertificateFacts?> FactsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, int cityId, long propertyId, int version,
        string number, DateTimeOffset issuedAt, TimeSpan offset, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(FactsSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = propertyId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = version });
        cmd.Parameters.Add(new NpgsqlParameter { Value = issuedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var wkb = new WKBReader();
        var holders = JsonDocument.Parse(reader.GetString(8)).RootElement.EnumerateArray()
            .Select(r => new CertificateHolder(r.GetProperty("name").GetString()!, r.GetProperty("kind").GetString()!, r.GetProperty("share").GetDecimal()))
            .ToList();
        return new CertificateFacts(number, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), version,
            reader.GetDouble(4), reader.GetInt32(5), wkb.Read(reader.GetFieldValue<byte[]>(6)),
            reader.GetFieldValue<byte[][]>(7).Select(b => wkb.Read(b)).ToList(), holders, issuedAt, offset);
    }

    internal static string VerificationUrl(HttpContext http, CertificatesOptions options, string number, string key)
    {
        var baseUrl = options.PublicBaseUrl is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
        return $"{baseUrl}/verify/{Uri.EscapeDataString(number)}?k={Uri.EscapeDataString(key)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The public page: only what the certificate prints (no ID documents, no contacts), in Dari and English.</summary>
    internal static string VerificationPage(CertificateFacts f, bool current)
    {
        static string H(string s) => WebUtility.HtmlEncode(s);
        var hijri = SolarHijri.Of(f.IssuedAt, f.UtcOffset);
        var gregorian = f.IssuedAt.ToOffset(f.UtcOffset).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">");
        html.Append("<meta name=\"robots\" content=\"noindex\"><title>Certificate ").Append(H(f.Number)).Append("</title>");
        html.Append("<style>body{font-family:'Noto Sans','Noto Naskh Arabic',sans-serif;max-width:40em;margin:2em auto;padding:0 1em}")
            .Append("td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:start}.fa{font-family:'Noto Naskh Arabic',serif}")
            .Append(".ok{color:#0a6d2c}.no{color:#a11}</style></head><body>");
        html.Append("<h1>Occupancy certificate <span class=\"fa\" dir=\"rtl\" lang=\"fa-AF\">سند تصرف</span></h1>");
        html.Append(current
            ? "<p class=\"ok\" id=\"status\" data-current=\"true\"><strong>Current</strong> — the property has not changed since this certificate was issued. <span class=\"fa\" dir=\"rtl\" lang=\"fa-AF\">معتبر</span></p>"
            : "<p class=\"no\" id=\"status\" data-current=\"false\"><strong>No longer current</strong> — the property has changed or been retired since this certificate was issued. <span class=\"fa\" dir=\"rtl\" lang=\"fa-AF\">غیر معتبر</span></p>");
        html.Append("<table>");
        Row(html, "Certificate number", "شماره سند", H(f.Number));
        Row(html, "Property code", "کود ملکیت", H(f.PropertyCode));
        Row(html, "City", "شهر", H(f.CityName));
        Row(html, "Area", "مساحت", f.AreaM2.ToString("#,0.00", CultureInfo.InvariantCulture) + " m²");
        Row(html, "Issued (Gregorian)", "تاریخ صدور (میلادی)", gregorian);
        Row(html, "Issued (Solar Hijri)", "تاریخ صدور (هجری شمسی)",
            H(hijri.Numeric) + " (" + H(hijri.Latin) + ") <span class=\"fa\" dir=\"rtl\" lang=\"fa-AF\">" + H(hijri.Dari) + "</span>");
        html.Append("</table><h2>Holders <span class=\"fa\" dir=\"rtl\" lang=\"fa-AF\">دارندگان حق</span></h2><table><tr><th>Name</th><th>Right</th><th>Share</th></tr>");
        foreach (var h in f.Holders)
            html.Append("<tr><td dir=\"auto\" class=\"holder\">").Append(H(h.Name)).Append("</td><td>").Append(H(RightNames.English(h.Kind)))
                .Append(" <span class=\"fa\" dir=\"rtl\" lang=\"fa-AF\">").Append(H(RightNames.Dari(h.Kind))).Append("</span></td><td>")
                .Append(H(RightNames.Share(h.Share))).Append("</td></tr>");
        html.Append("</table></body></html>");
        return html.ToString();

        static void Row(StringBuilder html, string en, string fa, string valueHtml) =>
            html.Append("<tr><th>").Append(en).Append(" <span class=\"fa\" dir=\"rtl\" lang=\"fa-AF\">").Append(fa).Append("</span></th><td>")
                .Append(valueHtml).Append("</td></tr>");
    }
}

/// <summary>The names of the kinds of right in English and Dari, and shares as printed.</summary>
internal static class RightNames
{
    public static string English(string kind) => kind switch
    {
        "ownership" => "Ownership",
        "occupancy-certificate" => "Occupancy certificate",
        "customary" => "Customary right",
        "lease" => "Lease",
        "informal-occupancy" => "Informal occupancy",
        _ => kind,
    };

    public static string Dari(string kind) => kind switch
    {
        "ownership" => "مالکیت",
        "occupancy-certificate" => "سند تصرف",
        "customary" => "حق عرفی",
        "lease" => "اجاره",
        "informal-occupancy" => "تصرف غیررسمی",
        _ => kind,
    };

    /// <summary>A share as a fraction of the whole, e.g. 1 → "1", 0.5 → "1/2", else the decimal.</summary>
    public static string Share(decimal share)
    {
        if (share == 1) return "1";
        for (var d = 2; d <= 12; d++)
            if (share * d == Math.Round(share * d)) return string.Create(CultureInfo.InvariantCulture, $"{(int)(share * d)}/{d}");
        return share.ToString("0.####", CultureInfo.InvariantCulture);
    }
}
