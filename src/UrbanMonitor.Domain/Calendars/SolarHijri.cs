using System.Globalization;

namespace UrbanMonitor.Domain.Calendars;

/// <summary>
/// Dates for Afghan users in the Solar Hijri calendar (<see cref="PersianCalendar"/>) with the Dari month names used in
/// Afghanistan (Hamal … Hut), beside the Gregorian date. The day is taken in the time zone given (Kabul is UTC+4:30).
/// </summary>
public static class SolarHijri
{
    private static readonly PersianCalendar Calendar = new();

    /// <summary>The Dari (Afghan) names of the twelve Solar Hijri months, Hamal first.</summary>
    public static readonly IReadOnlyList<string> DariMonths =
        ["حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله", "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت"];

    /// <summary>The English transliterations of the same months.</summary>
    public static readonly IReadOnlyList<string> LatinMonths =
        ["Hamal", "Sawr", "Jawza", "Saratan", "Asad", "Sunbula", "Mizan", "Aqrab", "Qaws", "Jadi", "Dalw", "Hut"];

    public readonly record struct Date(int Year, int Month, int Day)
    {
        /// <summary>yyyy/MM/dd with Western digits, e.g. 1405/09/03.</summary>
        public string Numeric => string.Create(CultureInfo.InvariantCulture, $"{Year:0000}/{Month:00}/{Day:00}");

        /// <summary>Day, month name and year in Dari with Eastern Arabic-Indic (Persian) digits, e.g. ۳ قوس ۱۴۰۵.</summary>
        public string Dari => $"{PersianDigits(Day.ToString(CultureInfo.InvariantCulture))} {DariMonths[Month - 1]} {PersianDigits(Year.ToString(CultureInfo.InvariantCulture))}";

        /// <summary>Day, transliterated month and year, e.g. 3 Qaws 1405.</summary>
        public string Latin => string.Create(CultureInfo.InvariantCulture, $"{Day} {LatinMonths[Month - 1]} {Year}");
    }

    /// <summary>The Solar Hijri date of <paramref name="instant"/> as a calendar day at <paramref name="offset"/> from UTC.</summary>
    public static Date Of(DateTimeOffset instant, TimeSpan offset)
    {
        var local = instant.ToOffset(offset).DateTime;
        return new Date(Calendar.GetYear(local), Calendar.GetMonth(local), Calendar.GetDayOfMonth(local));
    }

    /// <summary>Replaces the digits 0–9 by the Persian digits ۰–۹.</summary>
    public static string PersianDigits(string text) =>
        string.Create(text.Length, text, (span, s) =>
        {
            for (var i = 0; i < s.Length; i++) span[i] = s[i] is >= '0' and <= '9' ? (char)('۰' + (s[i] - '0')) : s[i];
        });
}
