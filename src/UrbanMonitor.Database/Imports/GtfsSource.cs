using System.Globalization;
using System.IO.Compression;
using CsvHelper;
using NetTopologySuite.Geometries;

namespace UrbanMonitor.Database.Imports;

/// <summary>
/// A GTFS feed (zip) as transit stops, each with its weekday departures: <c>departures_per_day</c>, the busiest hour
/// (<c>peak_hour</c>) and the departures in it (<c>peak_departures</c>), which SDG 11.2.1 needs. Trips run by
/// <c>frequencies.txt</c> are expanded (each headway window from its start, by its headway, with the trip's stop
/// offsets); a weekday is any service running Monday to Friday in <c>calendar.txt</c> (or added for a weekday in
/// <c>calendar_dates.txt</c>). Every row of <c>stops.txt</c> is a feature; stations without stop times have 0.
/// </summary>
public sealed class GtfsSource : FeatureSource
{
    private readonly string _zipPath;

    private GtfsSource(string zipPath) => _zipPath = zipPath;

    public override string Format => "gtfs";
    public override int? DefaultSrid => 4326;

    public static GtfsSource Open(string zipPath, ZipArchive zip)
    {
        foreach (var required in new[] { "stops.txt", "trips.txt", "stop_times.txt" })
            if (Entry(zip, required) is null) throw new ImportRejectedException($"The GTFS feed has no {required}.");
        return new GtfsSource(zipPath);
    }

    private static ZipArchiveEntry? Entry(ZipArchive zip, string name) =>
        zip.Entries.FirstOrDefault(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<Func<string, string?>> Rows(ZipArchive zip, string name)
    {
        var entry = Entry(zip, name);
        if (entry is null) yield break;
        using var reader = new StreamReader(entry.Open());
        using var csv = CsvReader.Create(reader, new CsvReaderOptions { HasHeader = true }, false);
        var headers = new HashSet<string>(csv.Headers.Select(h => h.Trim()), StringComparer.Ordinal);
        while (csv.Read())
        {
            var row = csv;
            yield return column => headers.Contains(column) ? row.GetString(column) : null;
        }
    }

    /// <summary>Seconds since midnight of a GTFS time (hours may exceed 24), or null.</summary>
    public static int? ParseTime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.Trim().Split(':');
        if (parts.Length != 3) return null;
        return int.TryParse(parts[0], CultureInfo.InvariantCulture, out var h) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var m) && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var s)
            ? h * 3600 + m * 60 + s : null;
    }

    public override IEnumerable<SourceFeature> ReadFeatures(CancellationToken ct)
    {
        using var zip = ZipFile.OpenRead(_zipPath);
        var weekdayServices = WeekdayServices(zip);
        var trips = new Dictionary<string, bool>(StringComparer.Ordinal); // trip → runs on weekdays
        foreach (var row in Rows(zip, "trips.txt"))
            trips[row("trip_id") ?? ""] = weekdayServices is null || weekdayServices.Contains(row("service_id") ?? "");
        var frequencies = new Dictionary<string, List<(int Start, int End, int Headway)>>(StringComparer.Ordinal);
        foreach (var row in Rows(zip, "frequencies.txt"))
        {
            if (ParseTime(row("start_time")) is not { } start || ParseTime(row("end_time")) is not { } end
                || !int.TryParse(row("headway_secs"), CultureInfo.InvariantCulture, out var headway) || headway <= 0) continue;
            var trip = row("trip_id") ?? "";
            if (!frequencies.TryGetValue(trip, out var list)) frequencies[trip] = list = [];
            list.Add((start, end, headway));
        }
        var firstDeparture = new Dictionary<string, int>(StringComparer.Ordinal);
        if (frequencies.Count > 0)
            foreach (var row in Rows(zip, "stop_times.txt"))
            {
                var trip = row("trip_id") ?? "";
                if (!frequencies.ContainsKey(trip) || (ParseTime(row("departure_time")) ?? ParseTime(row("arrival_time"))) is not { } t) continue;
                if (!firstDeparture.TryGetValue(trip, out var first) || t < first) firstDeparture[trip] = t;
            }
        ct.ThrowIfCancellationRequested();
        var perHour = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var row in Rows(zip, "stop_times.txt"))
        {
            var trip = row("trip_id") ?? "";
            if (!trips.TryGetValue(trip, out var weekday) || !weekday) continue;
            if ((ParseTime(row("departure_time")) ?? ParseTime(row("arrival_time"))) is not { } t) continue;
            var stop = row("stop_id") ?? "";
            if (!perHour.TryGetValue(stop, out var hours)) perHour[stop] = hours = new int[24];
            if (frequencies.TryGetValue(trip, out var windows))
            {
                var offset = t - firstDeparture[trip];
                foreach (var (start, end, headway) in windows)
                    for (var dep = start; dep < end; dep += headway) hours[(dep + offset) / 3600 % 24]++;
            }
            else hours[t / 3600 % 24]++;
        }

        long index = 0;
        var json = new PropertiesJson();
        foreach (var row in Rows(zip, "stops.txt"))
        {
            ct.ThrowIfCancellationRequested();
            var id = row("stop_id") ?? "";
            var hours = perHour.GetValueOrDefault(id) ?? new int[24];
            var peak = hours.Max();
            var props = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["stop_id"] = id,
                ["stop_code"] = row("stop_code"),
                ["stop_name"] = row("stop_name"),
                ["location_type"] = string.IsNullOrEmpty(row("location_type")) ? "0" : row("location_type"),
                ["parent_station"] = row("parent_station") is { Length: > 0 } p ? p : null,
                ["departures_per_day"] = hours.Sum(),
                ["peak_hour"] = peak > 0 ? Array.IndexOf(hours, peak) : null,
                ["peak_departures"] = peak,
            };
            Geometry? point = null;
            string? error = null;
            if (double.TryParse(row("stop_lon"), NumberStyles.Float, CultureInfo.InvariantCulture, out var lon)
                && double.TryParse(row("stop_lat"), NumberStyles.Float, CultureInfo.InvariantCulture, out var lat))
                point = Factory.CreatePoint(new Coordinate(lon, lat));
            else error = $"stop {id} has no readable stop_lat/stop_lon";
            yield return new SourceFeature(index++, json.Write(props), point, error);
        }
    }

    // Null when the feed has no calendar at all (then every trip counts).
    private static HashSet<string>? WeekdayServices(ZipArchive zip)
    {
        HashSet<string>? services = null;
        string[] weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"];
        foreach (var row in Rows(zip, "calendar.txt"))
        {
            services ??= new HashSet<string>(StringComparer.Ordinal);
            if (weekdays.Any(d => row(d) == "1")) services.Add(row("service_id") ?? "");
        }
        foreach (var row in Rows(zip, "calendar_dates.txt"))
        {
            services ??= new HashSet<string>(StringComparer.Ordinal);
            if (row("exception_type") == "1" && DateOnly.TryParseExact(row("date"), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                && d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
                services.Add(row("service_id") ?? "");
        }
        return services;
    }
}
