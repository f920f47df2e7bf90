using System.Text.Json;
using UrbanMonitor.Domain.Geometry;

namespace UrbanMonitor.Domain.Tests;

public class GeoJsonPositionsTests
{
    [Theory]
    [InlineData("""{"type":"Polygon","coordinates":[[[67,36],[67.1,36],[67.1,36.1],[67,36]]]}""")]
    [InlineData("""{"type":"Polygon","coordinates":[[[67,36,410],[67.1,36,410],[67.1,36.1,410],[67,36,410]]]}""")] // altitude: dropped later
    [InlineData("""{"type":"Polygon","coordinates":[]}""")] // empty: the caller's rule
    [InlineData("""{"type":"GeometryCollection","geometries":[]}""")] // no coordinates: the caller's rule
    public void AcceptsWellFormedPositions(string geometry) =>
        Assert.Null(GeoJsonPositions.Problem(JsonDocument.Parse(geometry).RootElement));

    [Theory]
    [InlineData("""{"type":"Polygon","coordinates":[[[null,36],[67.1,36],[67.1,36.1],[null,36]]]}""", "geometry.coordinates[0][0][0] must be a number, not null")]
    [InlineData("""{"type":"Polygon","coordinates":[[["NaN",36],[67.1,36],[67.1,36.1],["NaN",36]]]}""", "geometry.coordinates[0][0][0] must be a number, not a string")]
    [InlineData("""{"type":"Polygon","coordinates":[[[67,36],[67.1],[67.1,36.1],[67,36]]]}""", "geometry.coordinates[0][1] has 1 values")]
    [InlineData("""{"type":"Polygon","coordinates":[[[67,36],[1e400,36],[67.1,36.1],[67,36]]]}""", "geometry.coordinates[0][1][0] is a number too large")]
    [InlineData("""{"type":"Polygon","coordinates":"abc"}""", "geometry.coordinates must be an array")]
    [InlineData("""{"type":"Polygon","coordinates":[[[67,36],[67.1,36],[67.1,36.1],[67,36]],5]}""", "geometry.coordinates[1] must be an array")]
    public void NamesTheFirstMalformedPosition(string geometry, string expected)
    {
        var problem = GeoJsonPositions.Problem(JsonDocument.Parse(geometry).RootElement);
        Assert.NotNull(problem);
        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesMorePositionsThanTheLimit() =>
        Assert.Contains("more than 3 positions", GeoJsonPositions.Problem(JsonDocument.Parse(
            """{"type":"LineString","coordinates":[[0,0],[1,1],[2,2],[3,3]]}""").RootElement, maxPositions: 3), StringComparison.Ordinal);
}
