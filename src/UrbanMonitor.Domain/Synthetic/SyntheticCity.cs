using System.Globalization;
using NetTopologySuite.Geometries;
using UrbanMonitor.Domain.Geometry;

namespace UrbanMonitor.Domain.Synthetic;

/// <summary>A district of the generated city: code <c>1</c>…<c>k²</c>, polygon in EPSG:4326.</summary>
public sealed record SyntheticDistrict(string Code, string Name, long Population, Polygon Geometry);

/// <summary>A parcel of about 200 m² (10 m × 20 m with shared, jittered corners), polygon in EPSG:4326.</summary>
public sealed record SyntheticParcel(string Code, string District, string Block, string Parcel, Polygon Geometry);

/// <summary>An informal settlement blob with census-like population and households, polygon in EPSG:4326.</summary>
public sealed record SyntheticSettlement(string Code, string Name, long Population, long Households, Polygon Geometry);

/// <summary>A transit stop at a street crossing; capacity <c>low</c> (bus) or <c>high</c> (rail).</summary>
public sealed record SyntheticStop(string Code, string Name, string Capacity, string Mode, Point Geometry);

/// <summary>
/// A deterministic city for demos, tests and benchmarks: the same seed and size give the same city, byte for byte.
/// Blocks of 2 × 10 parcels (10 m × 20 m) separated by 10 m streets are laid out in a square-ish grid in
/// UTM zone 42N metres and stored in EPSG:4326. Neighbouring parcels in a block share their jittered corners,
/// so parcels never overlap and leave no gaps. Parcels are produced lazily, so a million of them stream in
/// constant memory.
/// </summary>
public sealed class SyntheticCity
{
    /// <summary>The city code used in human property codes.</summary>
    public const string CityCode = "SYN";

    private const double ParcelWidth = 10, ParcelDepth = 20, Street = 10;
    private const int ParcelsPerRow = 10, RowsPerBlock = 2, ParcelsPerBlock = ParcelsPerRow * RowsPerBlock;
    private const double BlockPitchX = ParcelsPerRow * ParcelWidth + Street;   // 110 m
    private const double BlockPitchY = RowsPerBlock * ParcelDepth + Street;     // 50 m
    private const double Jitter = 1.5;                                          // metres, < half a parcel side

    private readonly GeometryFactory _factory = new(new PrecisionModel(), 4326);
    private readonly Utm _utm = new(42, north: true);
    private readonly double _originE, _originN;
    private readonly int _blocksX, _blocksY, _blockCount, _k;

    public SyntheticCity(int parcelCount, int seed = 42)
    {
        if (parcelCount < ParcelsPerBlock) throw new ArgumentOutOfRangeException(nameof(parcelCount), parcelCount, $"A city needs at least {ParcelsPerBlock} parcels.");
        ParcelCount = parcelCount;
        Seed = seed;
        _blockCount = (parcelCount + ParcelsPerBlock - 1) / ParcelsPerBlock;
        _blocksX = (int)Math.Ceiling(Math.Sqrt(_blockCount * BlockPitchY / BlockPitchX));
        _blocksY = (_blockCount + _blocksX - 1) / _blocksX;
        _k = Math.Clamp((int)Math.Round(Math.Sqrt(parcelCount / 1200.0)), 2, 40);
        _originE = 500_000 - _blocksX * BlockPitchX / 2;
        _originN = 3_900_000 - _blocksY * BlockPitchY / 2;
    }

    public int ParcelCount { get; }
    public int Seed { get; }

    /// <summary>Number of districts (a k × k grid).</summary>
    public int DistrictCount => _k * _k;

    /// <summary>Extent in metres (width, height).</summary>
    public (double Width, double Height) Extent => (_blocksX * BlockPitchX, _blocksY * BlockPitchY);

    /// <summary>The districts, k × k rectangles covering all blocks; population ≈ 5 people per parcel.</summary>
    public IReadOnlyList<SyntheticDistrict> Districts()
    {
        var parcelsPerDistrict = new long[DistrictCount];
        for (var b = 0; b < _blockCount; b++)
        {
            var inBlock = Math.Min(ParcelsPerBlock, ParcelCount - b * ParcelsPerBlock);
            parcelsPerDistrict[DistrictOf(b % _blocksX, b / _blocksX) - 1] += inBlock;
        }
        var list = new List<SyntheticDistrict>(DistrictCount);
        for (var j = 0; j < _k; j++)
        for (var i = 0; i < _k; i++)
        {
            var (x0, x1) = Span(i, _blocksX);
            var (y0, y1) = Span(j, _blocksY);
            // Boundaries run along street centre lines, so jittered parcels stay inside their district.
            double left = x0 * BlockPitchX - Street / 2, right = x1 * BlockPitchX - Street / 2;
            double bottom = y0 * BlockPitchY - Street / 2, top = y1 * BlockPitchY - Street / 2;
            var ring = Ring((left, bottom), (right, bottom), (right, top), (left, top));
            var code = (j * _k + i + 1).ToString(CultureInfo.InvariantCulture);
            list.Add(new SyntheticDistrict(code, "District " + code, parcelsPerDistrict[j * _k + i] * 5, ring));
        }
        return list;
    }

    /// <summary>All parcels, lazily, in block order. Codes are <c>SYN-{district}-{block}-{parcel}</c>.</summary>
    public IEnumerable<SyntheticParcel> Parcels()
    {
        var blockNumberInDistrict = new int[DistrictCount];
        var emitted = 0;
        for (var b = 0; b < _blockCount; b++)
        {
            int bx = b % _blocksX, by = b / _blocksX;
            var district = DistrictOf(bx, by);
            var blockNo = ++blockNumberInDistrict[district - 1];
            var districtCode = district.ToString(CultureInfo.InvariantCulture);
            var blockCode = blockNo.ToString(CultureInfo.InvariantCulture);
            for (var p = 0; p < ParcelsPerBlock && emitted < ParcelCount; p++, emitted++)
            {
                int col = p % ParcelsPerRow, row = p / ParcelsPerRow;
                var poly = Ring(
                    Corner(b, bx, by, col, row), Corner(b, bx, by, col + 1, row),
                    Corner(b, bx, by, col + 1, row + 1), Corner(b, bx, by, col, row + 1));
                var parcelCode = (p + 1).ToString(CultureInfo.InvariantCulture);
                yield return new SyntheticParcel($"{CityCode}-{districtCode}-{blockCode}-{parcelCode}", districtCode, blockCode, parcelCode, poly);
            }
        }
    }

    /// <summary>Irregular settlement outlines (one per ~2,500 parcels, at least 3), 300–900 people per hectare.</summary>
    public IReadOnlyList<SyntheticSettlement> Settlements()
    {
        var rng = new Random(Seed);
        var count = Math.Max(3, ParcelCount / 2500);
        var (w, h) = Extent;
        var list = new List<SyntheticSettlement>(count);
        for (var s = 1; s <= count; s++)
        {
            double cx = rng.NextDouble() * w, cy = rng.NextDouble() * h;
            var radius = 60 + rng.NextDouble() * 190;
            const int vertices = 16;
            var pts = new (double X, double Y)[vertices];
            for (var v = 0; v < vertices; v++)
            {
                var angle = 2 * Math.PI * v / vertices;
                var r = radius * (0.7 + 0.3 * rng.NextDouble());
                pts[v] = (cx + r * Math.Cos(angle), cy + r * Math.Sin(angle));
            }
            var areaHa = PolygonArea(pts) / 10_000;
            var density = 300 + rng.NextDouble() * 600;
            var population = (long)Math.Round(areaHa * density);
            var code = s.ToString(CultureInfo.InvariantCulture);
            list.Add(new SyntheticSettlement(code, "Settlement " + code, population, (long)Math.Round(population / 5.2), Ring(pts)));
        }
        return list;
    }

    /// <summary>Bus stops at every 3rd × 6th street crossing; a rail line of high-capacity stations across the middle.</summary>
    public IReadOnlyList<SyntheticStop> Stops()
    {
        var list = new List<SyntheticStop>();
        var n = 0;
        for (var by = 0; by <= _blocksY; by += 6)
        for (var bx = 0; bx <= _blocksX; bx += 3)
        {
            n++;
            list.Add(new SyntheticStop("bus-" + n.ToString(CultureInfo.InvariantCulture), "Bus stop " + n.ToString(CultureInfo.InvariantCulture),
                "low", "bus", Point(bx * BlockPitchX - Street / 2, by * BlockPitchY - Street / 2)));
        }
        var midY = _blocksY / 2;
        var station = 0;
        for (var bx = 0; bx <= _blocksX; bx += 8)
        {
            station++;
            list.Add(new SyntheticStop("rail-" + station.ToString(CultureInfo.InvariantCulture), "Station " + station.ToString(CultureInfo.InvariantCulture),
                "high", "rail", Point(bx * BlockPitchX - Street / 2, midY * BlockPitchY - Street / 2)));
        }
        return list;
    }

    private int DistrictOf(int bx, int by) => (by * _k / _blocksY) * _k + (bx * _k / _blocksX) + 1;

    // Block columns [first, last) of the i-th of k district bands; matches DistrictOf's integer division.
    private (int First, int Last) Span(int i, int blocks)
    {
        var first = (i * blocks + _k - 1) / _k;
        var last = ((i + 1) * blocks + _k - 1) / _k;
        return (first, last);
    }

    private (double X, double Y) Corner(int block, int bx, int by, int col, int row)
    {
        var x = bx * BlockPitchX + col * ParcelWidth;
        var y = by * BlockPitchY + row * ParcelDepth;
        var h = Hash((ulong)Seed, (ulong)block, (ulong)col, (ulong)row);
        var dx = ((h & 0xFFFF) / 65535.0 - 0.5) * 2 * Jitter;
        var dy = (((h >> 16) & 0xFFFF) / 65535.0 - 0.5) * 2 * Jitter;
        return (x + dx, y + dy);
    }

    private Polygon Ring(params (double X, double Y)[] pts)
    {
        var coords = new Coordinate[pts.Length + 1];
        for (var i = 0; i < pts.Length; i++) coords[i] = _utm.ToLonLat(_originE + pts[i].X, _originN + pts[i].Y);
        coords[^1] = coords[0].Copy();
        return _factory.CreatePolygon(coords);
    }

    private Point Point(double x, double y) => _factory.CreatePoint(_utm.ToLonLat(_originE + x, _originN + y));

    private static double PolygonArea((double X, double Y)[] pts)
    {
        double sum = 0;
        for (var i = 0; i < pts.Length; i++)
        {
            var (x1, y1) = pts[i];
            var (x2, y2) = pts[(i + 1) % pts.Length];
            sum += x1 * y2 - x2 * y1;
        }
        return Math.Abs(sum) / 2;
    }

    // SplitMix64 over the inputs: stable across runtimes, unlike HashCode.Combine.
    private static ulong Hash(params ulong[] values)
    {
        ulong h = 0x9E3779B97F4A7C15;
        foreach (var v in values)
        {
            h ^= v + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2);
            h += 0x9E3779B97F4A7C15;
            var z = h;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            h = z ^ (z >> 31);
        }
        return h;
    }
}
