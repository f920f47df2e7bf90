using System.Globalization;
using UrbanMonitor.Api.Features.Cql2;
using UrbanMonitor.Api.Hosting;

namespace UrbanMonitor.Api.Features;

/// <summary>The query parameters of <c>/collections/{id}/items</c>, validated; anything wrong is a <see cref="FeedException"/> (400).</summary>
public sealed class ItemsRequest
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10_000;

    /// <summary>Parameters the items resource understands; any other is a 400 (OGC API - Features Part 1).</summary>
    public static readonly HashSet<string> Known = new(StringComparer.Ordinal)
        { "f", "limit", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang", "filter-crs", "sortby", "properties", "city", "cursor" };

    public required FeatureCollection Collection { get; init; }
    /// <summary>Page size; null for an export, which holds every matching feature.</summary>
    public int? Limit { get; init; } = DefaultLimit;
    public double[]? Bbox { get; init; }
    public Crs BboxCrs { get; init; } = Crs.Crs84;
    public Cql2Node? Datetime { get; init; }
    public Crs OutputCrs { get; init; } = Crs.Crs84;
    public Cql2Node? Filter { get; init; }
    public Crs FilterCrs { get; init; } = Crs.Crs84;
    public IReadOnlyList<SortKey> SortBy { get; init; } = [];
    public IReadOnlyList<FeatureProperty> Properties { get; init; } = [];
    public string? City { get; init; }
    public Cursor? After { get; init; }

    /// <summary>Parameters of an export: the items' filters, without paging, and the file format.</summary>
    public static readonly HashSet<string> KnownForExport = new(Known.Except(["limit", "cursor", "f"]).Append("format"), StringComparer.Ordinal);

    public static ItemsRequest Parse(FeatureCollection collection, IQueryCollection query, bool export = false)
    {
        var known = export ? KnownForExport : Known;
        foreach (var key in query.Keys)
        {
            if (!known.Contains(key))
                throw FeedException.BadParameter($"Unknown query parameter '{key}'. {(export ? "An export" : "The items of a collection")} take: {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
            if (query[key].Count > 1) throw FeedException.BadParameter($"The query parameter '{key}' is given more than once.");
        }
        string? Get(string key) => query.TryGetValue(key, out var v) ? v.ToString() : null;

        var limit = DefaultLimit;
        if (Get("limit") is { } l)
        {
            // A whole number too large for an int is still just larger than the maximum, which is no error (OGC API -
            // Features: the maximum is used instead).
            if (l.Length > 0 && l.All(char.IsAsciiDigit) && !int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                limit = MaxLimit;
            else if (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1)
                throw FeedException.BadParameter($"limit must be a whole number from 1; got '{l}'. Default {DefaultLimit}; larger values are served as {MaxLimit} with a 'next' link to the rest.");
            limit = Math.Min(limit, MaxLimit);
        }

        var crs = ParseCrs("crs", Get("crs")) ?? Crs.Crs84;
        var bboxCrs = ParseCrs("bbox-crs", Get("bbox-crs"));
        var bboxText = Get("bbox");
        if (bboxCrs is not null && bboxText is null) throw FeedException.BadParameter("bbox-crs is given without bbox.");
        bboxCrs ??= Crs.Crs84;
        var bbox = bboxText is null ? null : ParseBbox(bboxText, bboxCrs);

        Cql2Node? datetime = null;
        if (Get("datetime") is { } dt)
        {
            if (collection.DateProperty is null)
                throw FeedException.BadParameter($"The collection '{collection.Id}' has no date, so datetime cannot filter it.");
            datetime = ParseDatetime(dt);
        }

        var filterLang = Get("filter-lang");
        var filterCrs = ParseCrs("filter-crs", Get("filter-crs")) ?? Crs.Crs84;
        Cql2Node? filter = null;
        if (Get("filter") is { } f)
        {
            filter = filterLang switch
            {
                null or "cql2-text" => Cql2TextParser.Parse(f),
                "cql2-json" => Cql2JsonParser.Parse(f),
                _ => throw FeedException.BadParameter($"filter-lang must be cql2-text or cql2-json; got '{filterLang}'."),
            };
        }
        else if (filterLang is not null && filterLang is not ("cql2-text" or "cql2-json"))
        {
            throw FeedException.BadParameter($"filter-lang must be cql2-text or cql2-json; got '{filterLang}'.");
        }

        var sortBy = new List<SortKey>();
        if (Get("sortby") is { Length: > 0 } sb)
        {
            foreach (var raw in sb.Split(','))
            {
                var item = raw.Trim();
                var desc = item.StartsWith('-');
                var name = item.TrimStart('+', '-').Trim();
                if (name.EndsWith(":desc", StringComparison.OrdinalIgnoreCase)) (desc, name) = (true, name[..^5]);
                else if (name.EndsWith(":asc", StringComparison.OrdinalIgnoreCase)) name = name[..^4];
                if (!collection.TryGetProperty(name, out var prop))
                    throw FeedException.BadParameter($"sortby names an unknown property '{name}'; sortable properties of '{collection.Id}': {string.Join(", ", collection.Properties.Select(p => p.Name))}.");
                if (sortBy.Any(k => k.Property.Name == name)) throw FeedException.BadParameter($"sortby names '{name}' twice.");
                sortBy.Add(new SortKey(prop, desc));
            }
        }

        IReadOnlyList<FeatureProperty> properties = collection.Properties;
        if (Get("properties") is { } ps)
        {
            var list = new List<FeatureProperty>();
            foreach (var name in ps.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!collection.TryGetProperty(name, out var prop))
                    throw FeedException.BadParameter($"properties names an unknown property '{name}'; the properties of '{collection.Id}' are {string.Join(", ", collection.Properties.Select(p => p.Name))}.");
                if (!list.Contains(prop)) list.Add(prop);
            }
            properties = list;
        }

        var city = Get("city");

        return new ItemsRequest
        {
            Collection = collection,
            Limit = export ? null : limit,
            Bbox = bbox,
            BboxCrs = bboxCrs,
            Datetime = datetime,
            OutputCrs = crs,
            Filter = filter,
            FilterCrs = filterCrs,
            SortBy = sortBy,
            Properties = properties,
            City = city,
            After = Get("cursor") is { } c ? Cursor.Decode(c, sortBy) : null,
        };
    }

    public static Crs? ParseCrs(string parameter, string? text)
    {
        if (text is null) return null;
        return Crs.Parse(text) ?? throw new FeedException(StatusCodes.Status400BadRequest, Problems.InvalidCrs, "Unsupported CRS",
            $"{parameter} '{text}' is not supported. Supported: {Crs.Crs84Uri}, http://www.opengis.net/def/crs/EPSG/0/4326 (latitude, longitude), " +
            "http://www.opengis.net/def/crs/EPSG/0/3857, and the WGS 84 UTM zones http://www.opengis.net/def/crs/EPSG/0/32601 … 32660 and 32701 … 32760.");
    }

    /// <summary>Parses bbox in <paramref name="crs"/>'s axis order and returns it as x (lon/easting) min, y min, x max, y max.</summary>
    public static double[] ParseBbox(string text, Crs crs)
    {
        static FeedException Bad(string why) => new(StatusCodes.Status400BadRequest, Problems.InvalidBbox, "Invalid bbox", why);
        var parts = text.Split(',');
        var n = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out n[i]) || !double.IsFinite(n[i]))
                throw Bad($"bbox value {i + 1} ('{parts[i]}') is not a number.");
        }
        if (n.Length is not (4 or 6)) throw Bad($"bbox needs 4 numbers (or 6 with heights); got {n.Length}.");
        var (a1, b1, a2, b2) = n.Length == 4 ? (n[0], n[1], n[2], n[3]) : (n[0], n[1], n[3], n[4]);
        var (xmin, ymin, xmax, ymax) = crs.LatLon ? (b1, a1, b2, a2) : (a1, b1, a2, b2);
        var order = crs.LatLon ? "minimum latitude, minimum longitude, maximum latitude, maximum longitude (EPSG:4326 axis order)"
            : crs.IsGeographic ? "minimum longitude, minimum latitude, maximum longitude, maximum latitude"
            : "minimum easting, minimum northing, maximum easting, maximum northing";
        if (crs.IsGeographic)
        {
            if (ymin < -90 || ymax > 90) throw Bad($"latitudes must lie within -90 … 90; the bbox is read as {order}.");
            if (xmin < -180 || xmax > 180) throw Bad($"longitudes must lie within -180 … 180; the bbox is read as {order}.");
            if (xmin > xmax) throw Bad($"the minimum longitude is greater than the maximum (a bbox across the antimeridian is not supported); the bbox is read as {order}.");
        }
        if (xmin > xmax || ymin > ymax) throw Bad($"a minimum is greater than its maximum; the bbox is read as {order}.");
        return [xmin, ymin, xmax, ymax];
    }

    /// <summary>GDAL's OAPIF driver turns <c>-where "surveyed_on >= '2010-06-01'"</c> into <c>datetime=2010-06-01T/..</c>: a
    /// date with a bare time separator, read here as the date it means.</summary>
    private static string DateWithoutT(string s) =>
        s.Length == 11 && s[10] is ('T' or 't') && Cql2Literals.TryDate(s[..10], out _) ? s[..10] : s;

    /// <summary>An RFC 3339 date, timestamp or interval (<c>a/b</c>, open ends <c>..</c> or empty).</summary>
    public static Cql2Node ParseDatetime(string text)
    {
        static FeedException Bad(string why) => FeedException.BadParameter("datetime " + why + " Examples: 2010-06-01, 2010-01-01/2011-12-31, ../2011-12-31, 2010-06-01T00:00:00Z.");
        var parts = text.Split('/');
        if (parts.Length > 2) throw Bad($"'{text}' has more than one '/'.");
        Cql2Node? End(string s) => s is "" or ".." ? null : Cql2Literals.Instant("datetime", DateWithoutT(s)) ?? throw Bad($"'{s}' is neither a date nor an RFC 3339 timestamp.");
        if (parts.Length == 1) return End(parts[0]) ?? throw Bad("is empty.");
        var start = End(parts[0]);
        var end = End(parts[1]);
        if (start is null && end is null) throw Bad("'../..' is not a bound.");
        return new Cql2Interval("datetime", start, end);
    }
}
