using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;
using UrbanMonitor.Domain.Codes;
using UrbanMonitor.Domain.Synthetic;

namespace UrbanMonitor.Domain.Tests;

public class SyntheticCityTests
{
    [Fact]
    public void TheSameSeedGivesTheSameCityAndAnotherSeedAnother()
    {
        var a = new SyntheticCity(2_000, seed: 7).Parcels().Select(p => p.Geometry.AsText()).ToArray();
        var b = new SyntheticCity(2_000, seed: 7).Parcels().Select(p => p.Geometry.AsText()).ToArray();
        var c = new SyntheticCity(2_000, seed: 8).Parcels().Select(p => p.Geometry.AsText()).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(
            new SyntheticCity(2_000, 7).Settlements().Select(s => s.Geometry.AsText()),
            new SyntheticCity(2_000, 7).Settlements().Select(s => s.Geometry.AsText()));
    }

    [Theory]
    [InlineData(20)]
    [InlineData(1_234)]
    [InlineData(10_000)]
    public void ProducesExactlyTheParcelsAskedForWithUniqueValidCodes(int count)
    {
        var parcels = new SyntheticCity(count).Parcels().ToList();
        Assert.Equal(count, parcels.Count);
        Assert.Equal(count, parcels.Select(p => p.Code).Distinct().Count());
        Assert.All(parcels, p =>
        {
            var code = PropertyCode.TryParse(p.Code);
            Assert.NotNull(code);
            Assert.Equal(("SYN", p.District, p.Block, p.Parcel), (code.CityCode, code.District, code.Block, code.Parcel));
        });
    }

    [Fact]
    public void ParcelsAreValidAbout200SquareMetresAndNeverOverlap()
    {
        var city = new SyntheticCity(3_000, seed: 3);
        var parcels = city.Parcels().ToList();
        var index = new STRtree<Polygon>();
        foreach (var p in parcels) index.Insert(p.Geometry.EnvelopeInternal, p.Geometry);
        index.Build();

        // Degrees² → m² at this latitude: 1° lon ≈ 111,320·cos(lat) m, 1° lat ≈ 110,574 m.
        var lat = parcels[0].Geometry.Centroid.Y;
        var m2PerDeg2 = 111_320 * Math.Cos(lat * Math.PI / 180) * 110_574;
        foreach (var p in parcels)
        {
            Assert.True(p.Geometry.IsValid, p.Code);
            Assert.Equal(4326, p.Geometry.SRID);
            // Corners move by up to 1.5 m (4 m inside settlements): between 2 × 12 and 18 × 28 metres.
            Assert.InRange(p.Geometry.Area * m2PerDeg2, 24, 504);
            foreach (var other in index.Query(p.Geometry.EnvelopeInternal))
            {
                if (ReferenceEquals(other, p.Geometry)) continue;
                Assert.True(p.Geometry.Intersection(other).Area * m2PerDeg2 < 0.01, $"{p.Code} overlaps a neighbour");
            }
        }
        Assert.InRange(parcels.Average(p => p.Geometry.Area * m2PerDeg2), 195, 205);
        // Parcels inside settlements are irregular: their areas spread wider than the regular grid's.
        var areas = parcels.Select(p => p.Geometry.Area * m2PerDeg2).ToArray();
        Assert.True(areas.Max() - areas.Min() > 120, "settlement parcels are irregular");
    }

    [Fact]
    public void EveryParcelLiesInsideTheDistrictItsCodeNames()
    {
        var city = new SyntheticCity(5_000, seed: 11);
        var districts = city.Districts().ToDictionary(d => d.Code);
        Assert.Equal(city.DistrictCount, districts.Count);
        foreach (var p in city.Parcels())
            Assert.True(districts[p.District].Geometry.Contains(p.Geometry), $"{p.Code} is outside district {p.District}");
        Assert.Equal(5_000 * 5, districts.Values.Sum(d => d.Population));
    }

    [Fact]
    public void SettlementsAndStopsFallWithinTheCity()
    {
        var city = new SyntheticCity(10_000);
        var extent = new GeometryFactory().BuildGeometry(city.Districts().Select(d => d.Geometry)).Union();
        var settlements = city.Settlements();
        Assert.True(settlements.Count >= 3);
        Assert.All(settlements, s =>
        {
            Assert.True(s.Geometry.IsValid);
            Assert.True(s.Population > 0 && s.Households > 0 && s.Households < s.Population);
            Assert.True(extent.Intersects(s.Geometry));
        });
        var stops = city.Stops();
        Assert.Contains(stops, s => s.Capacity == "high");
        Assert.Contains(stops, s => s.Capacity == "low");
        Assert.Equal(stops.Count, stops.Select(s => s.Code).Distinct().Count());
        Assert.All(stops, s => Assert.True(extent.Buffer(0.001).Contains(s.Geometry)));
    }

    [Fact]
    public void ParksTakeWholeBlocksAndNeverTouchAParcel()
    {
        var city = new SyntheticCity(10_000, seed: 4);
        var parks = city.OpenSpaces().ToList();
        Assert.InRange(parks.Count, 5, 30);
        var index = new STRtree<Polygon>();
        foreach (var p in city.Parcels()) index.Insert(p.Geometry.EnvelopeInternal, p.Geometry);
        foreach (var park in parks)
        {
            Assert.True(park.Geometry.IsValid);
            Assert.DoesNotContain(index.Query(park.Geometry.EnvelopeInternal), parcel => parcel.Intersection(park.Geometry).Area > 0);
        }
    }

    [Fact]
    public void StreetsAreNodedSegmentsAndTheReferenceLayersCoverTheCity()
    {
        var city = new SyntheticCity(10_000);
        var streets = city.Streets().ToList();
        Assert.All(streets, s => Assert.Equal(2, s.Geometry.NumPoints));
        Assert.Contains(streets, s => s.Class == "arterial");
        var builtUp = city.BuiltUp();
        Assert.Equal([2005, 2020], builtUp.Select(b => b.Epoch));
        Assert.True(builtUp[1].Geometry.Contains(builtUp[0].Geometry));
        Assert.Equal(10_000 * 5, city.PopulationUnits().Sum(u => u.Population));
        Assert.Equal(city.Districts().Sum(d => d.Population), city.PopulationUnits().Sum(u => u.Population));
        Assert.Equal(["health", "market", "school"], city.Facilities().Select(f => f.Kind).Distinct().Order());
        var flood = city.HazardZones();
        Assert.Equal(["high", "medium"], flood.Select(z => z.Level));
        Assert.All(flood, z => Assert.True(z.Geometry.IsValid));
        Assert.False(flood[0].Geometry.Intersection(flood[1].Geometry).Area > 1e-12, "the medium band surrounds the high one without overlapping it");
    }

    [Fact]
    public void AMillionParcelCityStreamsWithoutHoldingItsParcels()
    {
        var city = new SyntheticCity(1_000_000);
        Assert.True(city.DistrictCount > 100);
        var (w, h) = city.Extent;
        Assert.InRange(w / h, 0.8, 1.25);
        // Take a few from the middle of the stream: nothing before them is kept.
        var sample = city.Parcels().Skip(500_000).Take(3).ToList();
        Assert.Equal(3, sample.Count);
        Assert.All(sample, p => Assert.True(p.Geometry.IsValid));
    }
}
