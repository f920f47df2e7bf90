using Npgsql;
using UrbanMonitor.Api.Hosting;

namespace UrbanMonitor.Api.Cities;

/// <summary><c>/api/cities</c>: the cities with their population by year, counts per layer and layer sources.</summary>
public static class CitiesApi
{
    private static readonly string CitiesSql = Sql.Load("Cities/cities.sql");

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
}
