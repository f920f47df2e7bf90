using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Npgsql;
using UrbanMonitor.Domain.Text;
using NpgsqlTypes;
using UrbanMonitor.Api.Hosting;
using UrbanMonitor.Api.Registration;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Documents;

/// <summary>Limits of document uploads (section <c>Documents</c>; env <c>URBANMONITOR_Documents__MaxBytes</c>).</summary>
public sealed class DocumentsOptions
{
    /// <summary>Largest accepted upload in bytes (default 20 MiB); larger ones get 413.</summary>
    public long MaxBytes { get; set; } = 20 * 1024 * 1024;
}

/// <summary>
/// <c>/api/documents</c>: scanned deeds, survey plans and photos attached to a property, transaction, dispute or display
/// period. The type is decided by the file's magic bytes (PDF, JPEG, PNG, TIFF only), never by the client's name or
/// header; the bytes are stored in the database with their SHA-256 and served back unchanged as attachments with
/// <c>nosniff</c>, so nothing uploaded is ever rendered or executed by the service or a browser.
/// </summary>
public static class DocumentsApi
{
    public const string TooLarge = Problems.Prefix + "document-too-large";
    public const string TypeNotAllowed = Problems.Prefix + "document-type-not-allowed";
    public const string NotFound = Problems.Prefix + "document-not-found";
    public const string RecordNotFound = Problems.Prefix + "record-not-found";

    private static readonly string RecordSql = Sql.Load("Documents/record.sql");
    private static readonly string InsertSql = Sql.Load("Documents/insert.sql");
    private static readonly string ReadSql = Sql.Load("Documents/read.sql");

    internal static readonly string[] Staff = ["land-officer", "supervisor", "admin"];

    /// <summary>The record kinds a document can be attached to (the catalogue that record.sql knows).</summary>
    public static readonly IReadOnlyList<string> RecordKinds = ["property", "transaction", "dispute", "display"];

    private static readonly string[] Kinds = ["deed", "survey-plan", "photo", "decision", "other"];

    public static WebApplicationBuilder AddDocuments(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DocumentsOptions>().BindConfiguration("Documents");
        return builder;
    }

    public static IEndpointRouteBuilder MapDocumentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/documents").WithTags("Documents");
        api.MapPost("/", Upload).RequireAuthorization().WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute()).WithName("UploadDocument")
            .WithSummary("Attach a document (raw body; ?record=property:ID|transaction:ID|dispute:ID|display:ID&kind=deed|survey-plan|photo|decision|other&name=FILE)")
            .Produces(StatusCodes.Status201Created, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapGet("/{id:long}", Metadata).RequireAuthorization().WithName("GetDocument")
            .WithSummary("A document's metadata (record, kind, type, size, SHA-256)");
        api.MapGet("/{id:long}/content", Content).RequireAuthorization().WithName("GetDocumentContent")
            .WithSummary("A document's bytes, byte-identical, as an attachment (nosniff)");
        return app;
    }

    /// <summary>The media type of a PDF, JPEG, PNG or TIFF by its magic bytes; null for anything else.</summary>
    public static string? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("%PDF-"u8)) return "application/pdf";
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return "image/jpeg";
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return "image/png";
        if (head.StartsWith("II*\0"u8) || head.StartsWith("MM\0*"u8)) return "image/tiff";
        return null;
    }

    internal sealed record RecordInfo(int CityId, string Slug, string District);

    /// <summary>Finds the record a document belongs to: its city and the district whose staff may touch it.</summary>
    internal static async Task<RecordInfo?> FindRecordAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string kind, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(RecordSql, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = kind, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new RecordInfo(reader.GetInt32(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    /// <summary>Null when document <paramref name="id"/> exists in city <paramref name="cityId"/>; otherwise a 422.</summary>
    internal static async Task<IResult?> MissingProblemAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, int cityId, long? id, CancellationToken ct)
    {
        if (id is null)
            return P.Unprocessable(NotFound, "Document required", "Give documentId: the source document (upload it first with POST /api/documents).");
        await using var cmd = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM documents WHERE city_id = $1 AND id = $2)", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = id.Value });
        return (bool)(await cmd.ExecuteScalarAsync(ct))! ? null
            : P.Unprocessable(NotFound, "Document not found", $"There is no document {id} in this city.");
    }

    private static async Task<IResult> Upload(HttpContext http, NpgsqlDataSource db, IOptions<DocumentsOptions> options, CancellationToken ct)
    {
        var q = http.Request.Query;
        var record = q["record"].ToString().Split(':');
        if (record.Length != 2 || !RecordKinds.Contains(record[0]) || !long.TryParse(record[1], NumberStyles.None, CultureInfo.InvariantCulture, out var recordId))
            return P.Problem(400, Problems.InvalidParameter, "Invalid record", "record must be property:ID, transaction:ID, dispute:ID or display:ID.");
        var kind = q["kind"].ToString() is { Length: > 0 } k ? k : "other";
        if (!Kinds.Contains(kind))
            return P.Problem(400, Problems.InvalidParameter, "Invalid kind", $"kind must be one of {string.Join(", ", Kinds)}.");
        var name = Path.GetFileName(q["name"].ToString());
        if (name.Length == 0) name = "document";
        // The name is shown again as the download's file name: text PostgreSQL can store and a reader can trust.
        if (TextRules.Problem("name", name, 255) is { } badName)
            return P.Problem(400, Problems.InvalidParameter, "Invalid name", badName);
        var max = options.Value.MaxBytes;
        if (http.Request.ContentLength > max) return Oversize(max);

        await using var conn = await db.OpenConnectionAsync(ct);
        var info = await FindRecordAsync(conn, null, record[0], recordId, ct);
        if (info is null) return P.Problem(404, RecordNotFound, "Record not found", $"There is no {record[0]} {recordId}.");
        if (RegistrationApi.Forbidden(http.User, Staff, info.Slug, info.District) is { } forbidden) return forbidden;

        // Read at most max + 1 bytes, so a body without Content-Length cannot exhaust memory.
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > max) return Oversize(max);
        }
        var bytes = buffer.ToArray();
        var mediaType = Sniff(bytes);
        if (bytes.Length == 0 || mediaType is null)
            return P.Problem(415, TypeNotAllowed, "Document type not allowed",
                "Only PDF, JPEG, PNG and TIFF files are accepted (recognised by their content, not their name).");
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        await using var cmd = new NpgsqlCommand(InsertSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = info.CityId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = record[0], NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = recordId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = kind, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = name, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = mediaType, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = bytes, NpgsqlDbType = NpgsqlDbType.Bytea });
        cmd.Parameters.Add(new NpgsqlParameter { Value = sha, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = RegistrationApi.UserId(http.User), NpgsqlDbType = NpgsqlDbType.Text });
        var json = (string)(await cmd.ExecuteScalarAsync(ct))!;
        var id = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("id").GetInt64();
        http.Response.Headers.Location = "/api/documents/" + id.ToString(CultureInfo.InvariantCulture);
        return Results.Text(json, "application/json", statusCode: 201);
    }

    private static IResult Oversize(long max) => P.Problem(413, TooLarge, "Document too large",
        $"Documents may be at most {max} bytes (Documents:MaxBytes).");

    private static async Task<(NpgsqlDataReader? Reader, IResult? Problem)> OpenAsync(NpgsqlConnection conn, long id, ClaimsPrincipal user, bool content, CancellationToken ct)
    {
        var cmd = new NpgsqlCommand(ReadSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = content });
        var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            await reader.DisposeAsync();
            return (null, P.Problem(404, NotFound, "Document not found", $"There is no document {id}."));
        }
        if (RegistrationApi.Forbidden(user, Staff, reader.GetString(0), reader.GetString(1)) is { } forbidden)
        {
            await reader.DisposeAsync();
            return (null, forbidden);
        }
        return (reader, null);
    }

    private static async Task<IResult> Metadata(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var (reader, problem) = await OpenAsync(conn, id, http.User, false, ct);
        if (problem is not null) return problem;
        await using (reader)
            return Results.Text(reader!.GetString(2), "application/json");
    }

    private static async Task<IResult> Content(long id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var (reader, problem) = await OpenAsync(conn, id, http.User, true, ct);
        if (problem is not null) return problem;
        await using (reader)
        {
            var mediaType = reader!.GetString(3);
            var name = reader.GetString(4);
            var sha = reader.GetString(5);
            var bytes = reader.GetFieldValue<byte[]>(6);
            var headers = http.Response.Headers;
            var disposition = new ContentDispositionHeaderValue("attachment");
            disposition.SetHttpFileName(name);
            headers.ContentDisposition = disposition.ToString();
            headers.XContentTypeOptions = "nosniff";
            headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
            headers.ETag = "\"" + sha + "\"";
            headers["Repr-Digest"] = "sha-256=:" + Convert.ToBase64String(Convert.FromHexString(sha)) + ":";
            headers["X-Content-SHA256"] = sha;
            return Results.Bytes(bytes, mediaType);
        }
    }
}
