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

/// <summary>A street segment between two crossings, along a street centre line; class <c>arterial</c> or <c>local</c>.</summary>
public sealed record SyntheticStreet(string Name, string Class, LineString Geometry);

/// <summary>A public park occupying a whole block.</summary>
public sealed record SyntheticOpenSpace(string Name, string Kind, Polygon Geometry);

/// <summary>The built-up extent at an epoch (a year).</summary>
public sealed record SyntheticBuiltUp(int Epoch, Polygon Geometry);

/// <summary>A 1 km census-like grid cell with the people living in it.</summary>
public sealed record SyntheticPopulationUnit(string Code, long Population, Polygon Geometry);

/// <summary>A hazard zone: the flood plain of the river that crosses the city.</summary>
public sealed record SyntheticHazardZone(string Hazard, string Level, NetTopologySuite.Geometries.Geometry Geometry);

/// <summary>A school, clinic or market at a street corner.</summary>
public sealed record SyntheticFacility(string Kind, string Name, Point Geometry);

/// <summary>
/// A deterministic city for demos, tests and benchmarks: the same seed and size give the same city, byte for byte.
/// Blocks of 2 × 10 parcels (10 m × 20 m) separated by 10 m streets are laid out in a square-ish grid in
/// UTM zone 42N metres and stored in EPSG:4326; about one block in 40 is a park instead. Neighbouring parcels in a
/// block share their jittered corners (up to 1.5 m; up to 4 m inside informal settlements, where parcels are
/// irregular), so parcels never overlap and leave no gaps. Parcels are produced lazily, so a million of them stream
/// in constant memory. Streets are noded segments between crossings; two built-up epochs (2005, 2020) and 1 km
/// population units come with it.
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
    private const double SettlementJitter = 4;                                  // metres: corner boxes stay disjoint
    private const int ParkOneIn = 40;

    private readonly GeometryFactory _factory = new(new PrecisionModel(), 4326);
    private readonly Utm _utm = new(42, north: true);
    private readonly double _originE, _originN;
    private readonly int _blocksX, _blocksY, _blockCount, _k;
    private readonly List<(double X, double Y)[]> _settlementRings;
    private readonly Dictionary<(int, int), List<int>> _settlementCells = [];
    private const double CellSize = 500;

    public SyntheticCity(int parcelCount, int seed = 42)
    {
        if (parcelCount < ParcelsPerBlock) throw new ArgumentOutOfRangeException(nameof(parcelCount), parcelCount, $"A city needs at least {ParcelsPerBlock} parcels.");
        ParcelCount = parcelCount;
        Seed = seed;
        var builtBlocks = (parcelCount + ParcelsPerBlock - 1) / ParcelsPerBlock;
        _blockCount = 0;
        for (var built = 0; built < builtBlocks; _blockCount++)
            if (!IsPark(_blockCount)) built++;
        _blocksX = (int)Math.Ceiling(Math.Sqrt(_blockCount * BlockPitchY / BlockPitchX));
        _blocksY = (_blockCount + _blocksX - 1) / _blocksX;
        _k = Math.Clamp((int)Math.Round(Math.Sqrt(parcelCount / 1200.0)), 2, 40);
        _originE = 500_000 - _blocksX * BlockPitchX / 2;
        _originN = 3_900_000 - _blocksY * BlockPitchY / 2;
        _settlementRings = SettlementRings();
        for (var i = 0; i < _settlementRings.Count; i++)
        {
            var ring = _settlementRings[i];
            int x0 = (int)Math.Floor(ring.Min(p => p.X) / CellSize), x1 = (int)Math.Floor(ring.Max(p => p.X) / CellSize);
            int y0 = (int)Math.Floor(ring.Min(p => p.Y) / CellSize), y1 = (int)Math.Floor(ring.Max(p => p.Y) / CellSize);
            for (var cx = x0; cx <= x1; cx++)
            for (var cy = y0; cy <= y1; cy++)
            {
                if (!_settlementCells.TryGetValue((cx, cy), out var list)) _settlementCells[(cx, cy)] = list = [];
                list.Add(i);
            }
        }
    }

    private bool IsPark(int block) => Hash((ulong)Seed, (ulong)block, 0x9A4C) % ParkOneIn == 0;

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
        foreach (var (b, inBlock) in BuiltBlocks())
            parcelsPerDistrict[DistrictOf(b % _blocksX, b / _blocksX) - 1] += inBlock;
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
        foreach (var (b, inBlock) in BuiltBlocks())
        {
            int bx = b % _blocksX, by = b / _blocksX;
            var district = DistrictOf(bx, by);
            var blockNo = ++blockNumberInDistrict[district - 1];
            var districtCode = district.ToString(CultureInfo.InvariantCulture);
            var blockCode = blockNo.ToString(CultureInfo.InvariantCulture);
            for (var p = 0; p < inBlock; p++)
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
        var rng = new Random(Seed ^ 0x5E77);
        var list = new List<SyntheticSettlement>(_settlementRings.Count);
        for (var s = 0; s < _settlementRings.Count; s++)
        {
            var pts = _settlementRings[s];
            var areaHa = PolygonArea(pts) / 10_000;
            var density = 300 + rng.NextDouble() * 600;
            var population = (long)Math.Round(areaHa * density);
            var code = (s + 1).ToString(CultureInfo.InvariantCulture);
            list.Add(new SyntheticSettlement(code, "Settlement " + code, population, (long)Math.Round(population / 5.2), Ring(pts)));
        }
        return list;
    }

    private List<(double X, double Y)[]> SettlementRings()
    {
        var rng = new Random(Seed);
        var count = Math.Max(3, ParcelCount / 2500);
        var (w, h) = Extent;
        var list = new List<(double X, double Y)[]>(count);
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
            list.Add(pts);
        }
        return list;
    }

    private bool InSettlement(double x, double y)
    {
        if (!_settlementCells.TryGetValue(((int)Math.Floor(x / CellSize), (int)Math.Floor(y / CellSize)), out var candidates)) return false;
        foreach (var i in candidates)
        {
            var ring = _settlementRings[i];
            var inside = false;
            for (int a = 0, b = ring.Length - 1; a < ring.Length; b = a++)
                if ((ring[a].Y > y) != (ring[b].Y > y) && x < (ring[b].X - ring[a].X) * (y - ring[a].Y) / (ring[b].Y - ring[a].Y) + ring[a].X)
                    inside = !inside;
            if (inside) return true;
        }
        return false;
    }

    // Blocks that hold parcels, with how many (the last one may be partly filled); parks are skipped.
    private IEnumerable<(int Block, int Parcels)> BuiltBlocks()
    {
        var left = ParcelCount;
        for (var b = 0; b < _blockCount && left > 0; b++)
        {
            if (IsPark(b)) continue;
            var n = Math.Min(ParcelsPerBlock, left);
            left -= n;
            yield return (b, n);
        }
    }

    /// <summary>Parks: the blocks left without parcels.</summary>
    public IEnumerable<SyntheticOpenSpace> OpenSpaces()
    {
        var n = 0;
        for (var b = 0; b < _blockCount; b++)
        {
            if (!IsPark(b)) continue;
            n++;
            double x = (b % _blocksX) * BlockPitchX, y = (b / _blocksX) * BlockPitchY;
            yield return new SyntheticOpenSpace("Park " + n.ToString(CultureInfo.InvariantCulture), "park",
                Ring((x, y), (x + BlockPitchX - Street, y), (x + BlockPitchX - Street, y + BlockPitchY - Street), (x, y + BlockPitchY - Street)));
        }
    }

    /// <summary>Street segments between crossings, on the centre lines between blocks; every 5th street is arterial.</summary>
    public IEnumerable<SyntheticStreet> Streets()
    {
        for (var row = 0; row <= _blocksY; row++)
        {
            var y = row * BlockPitchY - Street / 2;
            var cls = row % 5 == 0 ? "arterial" : "local";
            for (var col = 0; col < _blocksX; col++)
                yield return new SyntheticStreet($"Street {row + 1}", cls, Line((col * BlockPitchX - Street / 2, y), ((col + 1) * BlockPitchX - Street / 2, y)));
        }
        for (var col = 0; col <= _blocksX; col++)
        {
            var x = col * BlockPitchX - Street / 2;
            var cls = col % 5 == 0 ? "arterial" : "local";
            for (var row = 0; row < _blocksY; row++)
                yield return new SyntheticStreet($"Avenue {col + 1}", cls, Line((x, row * BlockPitchY - Street / 2), (x, (row + 1) * BlockPitchY - Street / 2)));
        }
    }

    /// <summary>Built-up extents: 2020 covers the whole grid, 2005 its central 60 % in each direction.</summary>
    public IReadOnlyList<SyntheticBuiltUp> BuiltUp()
    {
        var (w, h) = Extent;
        double l = -Street / 2, b = -Street / 2, r = w - Street / 2, t = h - Street / 2;
        return
        [
            new(2005, Ring((l + 0.2 * w, b + 0.2 * h), (r - 0.2 * w, b + 0.2 * h), (r - 0.2 * w, t - 0.2 * h), (l + 0.2 * w, t - 0.2 * h))),
            new(2020, Ring((l, b), (r, b), (r, t), (l, t))),
        ];
    }

    /// <summary>1 km grid cells over the city with 5 people per parcel whose block centre lies in the cell.</summary>
    public IReadOnlyList<SyntheticPopulationUnit> PopulationUnits()
    {
        const double cell = 1000;
        var counts = new Dictionary<(int, int), long>();
        foreach (var (b, n) in BuiltBlocks())
        {
            var key = ((int)((b % _blocksX + 0.5) * BlockPitchX / cell), (int)((b / _blocksX + 0.5) * BlockPitchY / cell));
            counts[key] = counts.GetValueOrDefault(key) + n * 5L;
        }
        var (w, h) = Extent;
        return counts.OrderBy(c => c.Key.Item2).ThenBy(c => c.Key.Item1).Select(c =>
        {
            var (i, j) = c.Key;
            double x0 = i * cell - Street / 2, y0 = j * cell - Street / 2;
            double x1 = Math.Min(x0 + cell, w - Street / 2), y1 = Math.Min(y0 + cell, h - Street / 2);
            return new SyntheticPopulationUnit($"PU-{i}-{j}", c.Value, Ring((x0, y0), (x1, y0), (x1, y1), (x0, y1)));
        }).ToList();
    }

    /// <summary>The flood plain of a river crossing the city a third of the way up: a 60 m band of high exposure
    /// inside a 200 m band of medium exposure.</summary>
    public IReadOnlyList<SyntheticHazardZone> HazardZones()
    {
        var (w, h) = Extent;
        double y = h / 3, l = -Street / 2, r = w - Street / 2;
        Polygon Band(double half) => Ring((l, y - half), (r, y - half), (r, y + half), (l, y + half));
        var medium = Band(100).Difference(Band(30));
        medium.SRID = 4326;
        return [new("flood", "high", Band(30)), new("flood", "medium", medium)];
    }

    /// <summary>A school, clinic or market at the corner of every 15th block.</summary>
    public IEnumerable<SyntheticFacility> Facilities()
    {
        string[] kinds = ["school", "health", "market"];
        var n = 0;
        for (var b = 7; b < _blockCount; b += 15)
        {
            var kind = kinds[n % kinds.Length];
            n++;
            yield return new SyntheticFacility(kind, $"{char.ToUpperInvariant(kind[0])}{kind[1..]} {n}",
                Point((b % _blocksX) * BlockPitchX - Street / 2, (b / _blocksX) * BlockPitchY - Street / 2));
        }
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
        var jitter = InSettlement(x, y) ? SettlementJitter : Jitter;
        var dx = ((h & 0xFFFF) / 65535.0 - 0.5) * 2 * jitter;
        var dy = (((h >> 16) & 0xFFFF) / 65535.0 - 0.5) * 2 * jitter;
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

    private LineString Line((double X, double Y) a, (double X, double Y) b) =>
        _factory.CreateLineString([_utm.ToLonLat(_originE + a.X, _originN + a.Y), _utm.ToLonLat(_originE + b.X, _originN + b.Y)]);

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
