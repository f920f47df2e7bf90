using System.IO.Compression;
using System.Text;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Esri;
using NetTopologySuite.IO.Esri.Dbf.Fields;
using NetTopologySuite.IO.Esri.Shapefiles.Writers;
using Npgsql;

namespace UrbanMonitor.Api.Features;

/// <summary>
/// Writes a zipped ESRI Shapefile (.shp, .shx, .dbf in UTF-8 with its .cpg, .prj) row by row from an items query in
/// <see cref="RowFormat.Shapefile"/> form. DBF field names are cut to 10 characters (<c>district_code</c> →
/// <c>district_c</c>), as the format requires.
/// </summary>
internal static class ShapefileExport
{
    /// <summary>Writes <paramref name="zipPath"/>; the shapefile parts are made in <paramref name="workDir"/>.</summary>
    public static async Task WriteAsync(string workDir, string zipPath, FeatureCollection collection, IReadOnlyList<FeatureProperty> properties,
        string projection, NpgsqlDataReader reader, CancellationToken ct)
    {
        var fields = new List<DbfField> { new DbfNumericInt64Field("id") };
        foreach (var p in properties)
        {
            var name = p.Name.Length > 10 ? p.Name[..10] : p.Name;
            fields.Add(p.Type switch
            {
                "integer" => new DbfNumericInt64Field(name),
                "number" => new DbfNumericDoubleField(name),
                "date" => new DbfDateField(name),
                _ => new DbfCharacterField(name, 254),
            });
        }
        var type = collection.Layer.GeometryType.Contains("Polygon", StringComparison.Ordinal) ? ShapeType.Polygon
            : collection.Layer.GeometryType.Contains("Line", StringComparison.Ordinal) ? ShapeType.PolyLine
            : collection.Layer.GeometryType.StartsWith("Multi", StringComparison.Ordinal) ? ShapeType.MultiPoint
            : ShapeType.Point;
        var shp = Path.Combine(workDir, collection.Id.Replace('-', '_') + ".shp");
        var options = new ShapefileWriterOptions(type, [.. fields]) { Encoding = Encoding.UTF8, Projection = projection };
        using (var writer = Shapefile.OpenWrite(shp, options))
        {
            while (await reader.ReadAsync(ct))
            {
                fields[0].Value = reader.GetInt64(0);
                for (var i = 0; i < properties.Count; i++)
                {
                    var column = i + 1;
                    fields[i + 1].Value = await reader.IsDBNullAsync(column, ct) ? null : properties[i].Type switch
                    {
                        "integer" => reader.GetInt64(column),
                        "number" => reader.GetDouble(column),
                        "date" => reader.GetFieldValue<DateOnly>(column).ToDateTime(TimeOnly.MinValue),
                        _ => reader.GetString(column),
                    };
                }
                writer.Geometry = await reader.GetFieldValueAsync<Geometry>(properties.Count + 1, ct);
                writer.Write();
            }
        }
        await File.WriteAllTextAsync(Path.ChangeExtension(shp, ".cpg"), "UTF-8", ct);
        ZipFile.CreateFromDirectory(workDir, zipPath);
    }
}
