using System.Globalization;

namespace UrbanMonitor.Api.Revenue;

/// <summary>
/// A city's fiscal year: it starts on a month/day of the Solar Hijri calendar (1/1 = 1 Hamal, about 21 March) or of the
/// Gregorian one, and fiscal year N is labelled by the year of that calendar in which it starts. Dates are calendar
/// dates (no time of day); a day belongs to the fiscal year whose [start, next start) holds it.
/// </summary>
public sealed record FiscalCalendar(string Calendar, int StartMonth, int StartDay)
{
    /// <summary>The default: the Afghan fiscal year, starting on 1 Hamal.</summary>
    public static FiscalCalendar Afghan { get; } = new("solar-hijri", 1, 1);

    private static readonly PersianCalendar Persian = new();

    /// <summary>Null when valid, else the reason (the day must exist in every year: 1–29 for Esfand/February).</summary>
    public string? Problem()
    {
        if (Calendar is not ("solar-hijri" or "gregorian")) return "calendar must be solar-hijri or gregorian.";
        if (StartMonth is < 1 or > 12) return "startMonth must be 1 to 12.";
        var max = Calendar == "gregorian"
            ? (StartMonth == 2 ? 28 : DateTime.DaysInMonth(2001, StartMonth))
            : (StartMonth <= 6 ? 31 : StartMonth <= 11 ? 30 : 29);
        return StartDay < 1 || StartDay > max ? $"startDay must be 1 to {max} for month {StartMonth}." : null;
    }

    /// <summary>The first day of fiscal year <paramref name="year"/>.</summary>
    public DateOnly Start(int year) => Calendar == "gregorian"
        ? new DateOnly(year, StartMonth, StartDay)
        : DateOnly.FromDateTime(Persian.ToDateTime(year, StartMonth, StartDay, 0, 0, 0, 0));

    /// <summary>The fiscal year holding <paramref name="date"/>.</summary>
    public int YearOf(DateOnly date)
    {
        var y = Calendar == "gregorian" ? date.Year : Persian.GetYear(date.ToDateTime(TimeOnly.MinValue));
        return date >= Start(y) ? y : y - 1;
    }

    /// <summary>A date as Solar Hijri <c>yyyy/MM/dd</c> (e.g. 2026-11-24 → 1405/09/03).</summary>
    public static string SolarHijri(DateOnly date)
    {
        var d = date.ToDateTime(TimeOnly.MinValue);
        return string.Create(CultureInfo.InvariantCulture, $"{Persian.GetYear(d):D4}/{Persian.GetMonth(d):D2}/{Persian.GetDayOfMonth(d):D2}");
    }
}
