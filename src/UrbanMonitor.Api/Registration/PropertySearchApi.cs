using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using UrbanMonitor.Api.Hosting;
using P = UrbanMonitor.Api.Registration.RegistrationProblems;

namespace UrbanMonitor.Api.Registration;

/// <summary>
/// <c>GET /api/properties/search</c>: properties by code prefix (<c>code</c>), by party name (<c>name</c>; case-,
/// diacritic- and Arabic-letter-variant-insensitive, staff only), by point (<c>point=lon,lat</c>: the parcel that holds
/// it) and by bounding box (<c>bbox=minLon,minLat,maxLon,maxLat</c>), as of <c>?at=</c>; all given criteria must
/// match. A GeoJSON FeatureCollection ordered by code, <c>limit</c> (1–500, default 50) per page, the next page by
/// <c>after=</c> the last code. Names are searched and holders shown only in the staff member's own districts.
/// </summary>
internal static class PropertySearchApi
{
    private static readonly string SearchSql = Sql.Load("Registration/search.sql");

    internal static void Map(RouteGroupBuilder api) =>
        api.MapGet("/search", (HttpContext http, NpgsqlDataSource db, CancellationToken ct) => RegistrationApi.Guard(() => Search(http, db, ct)))
            .WithName("SearchProperties")
            .WithSummary("Search properties by code prefix, party name (staff), point or bounding box, as of ?at=")
            .Produces(StatusCodes.Status200OK, contentType: "application/geo+json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

    private static IResult Bad(string detail) =>
        P.Problem(StatusCodes.Status400BadRequest, Problems.InvalidParameter, "Invalid search", detail);

    private static bool TryNumbers(string text, int count, out double[] values)
    {
        var parts = text.Split(',');
        values = new double[parts.Length];
        if (parts.Length != count) return false;
        for (var i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
                return false;
        return true;
    }

    private static async Task<IResult> Search(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var q = http.Request.Query;
        string? Text(string key) => q[key].ToString() is { Length: > 0 } s ? s.Trim() : null;
        var code = Text("code");
        var name = Text("name");
        var pointText = Text("point");
        var bboxText = Text("bbox");
        if (code is null && name is null && pointText is null && bboxText is null)
            return Bad("Give at least one of code, name, point (lon,lat) or bbox (minLon,minLat,maxLon,maxLat).");
        if (!RegistrationApi.TryParseAt(q["at"].ToString(), out var at))
            return Bad("at must be an RFC 3339 timestamp or a date.");
        if (name is not null)
        {
            if (http.User.Identity?.IsAuthenticated != true)
                return P.Problem(StatusCodes.Status401Unauthorized, Problems.Prefix + "unauthorized", "Sign-in needed",
                    "Searching by party name needs a signed-in land officer, supervisor or admin.");
            if (!RegistrationApi.IsStaff(http.User))
                return P.Problem(StatusCodes.Status403Forbidden, P.ForbiddenRole, "Role not allowed",
                    "Searching by party name needs the role land-officer, supervisor or admin.");
            if (name.Length < 2 || name.Length > 200) return Bad("name must have 2 to 200 characters.");
        }
        if (code is not null && code.Length > 100) return Bad("code must have at most 100 characters.");
        double[]? point = null, bbox = null;
        if (pointText is not null)
        {
            if (!TryNumbers(pointText, 2, out var p) || Math.Abs(p[0]) > 180 || Math.Abs(p[1]) > 90)
                return Bad($"point must be lon,lat in degrees (EPSG:4326), not '{pointText}'.");
            point = p;
        }
        if (bboxText is not null)
        {
            if (!TryNumbers(bboxText, 4, out var b) || b[0] > b[2] || b[1] > b[3] || b.Any(v => Math.Abs(v) > 180) || Math.Abs(b[1]) > 90 || Math.Abs(b[3]) > 90)
                return Bad($"bbox must be minLon,minLat,maxLon,maxLat in degrees with min ≤ max, not '{bboxText}'.");
            bbox = b;
        }
        var limit = 50;
        if (q["limit"].ToString() is { Length: > 0 } limitText &&
            (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > 500))
            return Bad("limit must be an integer from 1 to 500.");
        var after = Text("after");

        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(SearchSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)at ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)code ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        foreach (var v in new[] { point?[0], point?[1], bbox?[0], bbox?[1], bbox?[2], bbox?[3] })
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)v ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
        cmd.Parameters.Add(RegistrationApi.PartiesScopeParameter(RegistrationApi.PartiesScope(http.User)));
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });

        var json = new StringBuilder("{\"type\":\"FeatureCollection\",\"features\":[");
        var count = 0;
        string? last = null;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (count++ > 0) json.Append(',');
                last = reader.GetString(1);
                json.Append(reader.GetString(2));
            }
        }
        json.Append("],\"numberReturned\":").Append(count.ToString(CultureInfo.InvariantCulture));
        if (count == limit && last is not null)
        {
            var query = http.Request.Query.Where(kv => kv.Key != "after")
                .Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value.ToString()))
                .Append("after=" + Uri.EscapeDataString(last));
            json.Append(",\"links\":[{\"rel\":\"next\",\"type\":\"application/geo+json\",\"href\":")
                .Append(System.Text.Json.JsonSerializer.Serialize("/api/properties/search?" + string.Join("&", query))).Append("}]");
        }
        json.Append('}');
        return Results.Text(json.ToString(), RegistrationApi.GeoJson);
    }
}
