using Npgsql;
using UrbanMonitor.Api.Hosting;

namespace UrbanMonitor.Api.Cities;

/// <summary><c>/api/cities</c>: the cities with their population by year, counts per layer and layer sources; and
/// <c>/api/cities/{slug}/districts[/{code}]</c>: their districts (CONTRACTS.md, "Identity of things").</summary>
public static class CitiesApi
{
    private static readonly string CitiesSql = Sql.Load("Cities/cities.sql");
    private static readonly string DistrictsSql = Sql.Load("Cities/districts.sql");

    public static IEndpointRouteBuilder MapCitiesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/cities").WithTags("Cities");
        api.MapGet("/", ListCities).WithName("ListCities")
            .WithSummary("List the cities with counts per layer")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        api.MapGet("/{slug}", GetCity).WithName("GetCity")
            .WithSummary("One city with counts per layer")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{slug}/districts", ListDistricts).WithName("ListDistricts")
            .WithSummary("A city's districts: census figures, area, parcels by status, settlements, links")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{slug}/districts/{code}", GetDistrict).WithName("GetDistrict")
            .WithSummary("One district, named by its city and code (mazar-e-sharif:1 is /api/cities/mazar-e-sharif/districts/1)")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    // PostGIS builds each city's JSON; the rows are streamed into one array.
    internal static async Task ListCities(ReadDatabase reads, HttpContext http, CancellationToken ct)
    {
        var db = reads.For(http);
        await using var cmd = db.CreateCommand(CitiesSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        http.Response.ContentType = "application/json; charset=utf-8";
        var writer = http.Response.BodyWriter;
        var first = true;
        await writer.WriteAsync("["u8.ToArray(), ct);
        while (await reader.ReadAsync(ct))
        {
            if (!first) await writer.WriteAsync(","u8.ToArray(), ct);
            first = false;
            await writer.WriteAsync(System.Text.Encoding.UTF8.GetBytes(reader.GetString(0)), ct);
        }
        await writer.WriteAsync("]"u8.ToArray(), ct);
    }

    internal static async Task<IResult> GetCity(string slug, ReadDatabase reads, HttpContext http, CancellationToken ct)
    {
        var db = reads.For(http);
        await using var cmd = db.CreateCommand(CitiesSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = slug });
        var json = await cmd.ExecuteScalarAsync(ct) as string;
        return json is null ? Problems.CityMissing(slug) : Results.Text(json, "application/json; charset=utf-8");
    }

    internal static async Task<IResult> ListDistricts(string slug, ReadDatabase reads, HttpContext http, CancellationToken ct)
    {
        var rows = await DistrictsAsync(reads.For(http), slug, null, ct);
        return rows is null ? Problems.CityMissing(slug) : Results.Text("[" + string.Join(",", rows) + "]", "application/json; charset=utf-8");
    }

    internal static async Task<IResult> GetDistrict(string slug, string code, ReadDatabase reads, HttpContext http, CancellationToken ct)
    {
        var rows = await DistrictsAsync(reads.For(http), slug, code, ct);
        if (rows is null) return Problems.CityMissing(slug);
        return rows.Count == 0
            ? TypedResults.Problem(type: Problems.NotFound, title: "District not found", statusCode: StatusCodes.Status404NotFound,
                detail: $"The city '{slug}' has no district '{code}'. GET /api/cities/{slug}/districts lists its districts.")
            : Results.Text(rows[0], "application/json; charset=utf-8");
    }

    /// <summary>The districts' JSON objects (PostGIS builds them), or null when there is no such city.</summary>
    private static async Task<List<string>?> DistrictsAsync(NpgsqlDataSource db, string slug, string? code, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(DistrictsSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = slug });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)code ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        List<string>? rows = null;
        while (await reader.ReadAsync(ct))
        {
            rows ??= [];
            if (!reader.IsDBNull(0)) rows.Add(reader.GetString(0));
        }
        return rows;
    }
}
