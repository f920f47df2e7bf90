using System.Globalization;
using System.Text;

namespace UrbanMonitor.Api.Revenue;

/// <summary>
/// Printable invoices and receipts: one HTML page with an English block and a Dari block (<c>lang="fa" dir="rtl"</c>,
/// Persian digits), dates in Solar Hijri and Gregorian, amounts in AFN, and a print stylesheet (A5, no screen chrome).
/// </summary>
internal static class RevenueHtml
{
    private const string Style = """
        body{font-family:"Noto Sans","Noto Naskh Arabic",sans-serif;margin:2rem;color:#111}
        .doc{max-width:42rem;margin:auto;border:1px solid #999;padding:1.5rem}
        h1{font-size:1.3rem;margin:0 0 .5rem} table{border-collapse:collapse;width:100%;margin:.5rem 0}
        td,th{border-bottom:1px solid #ddd;padding:.25rem .4rem;text-align:start} td.n{text-align:end;font-variant-numeric:tabular-nums}
        [dir=rtl]{font-family:"Noto Naskh Arabic","Noto Sans Arabic",serif;font-size:1.1em}
        .no{font-family:monospace;font-size:1.1rem} .total td{font-weight:bold;border-top:2px solid #111}
        hr{border:0;border-top:1px dashed #999;margin:1.2rem 0}
        @media print{@page{size:A5;margin:12mm} body{margin:0} .doc{border:0;max-width:none;padding:0} .noprint{display:none}}
        """;

    // Only the five markup characters: WebUtility.HtmlEncode would turn "·" and other Latin-1 letters into entities.
    private static string E(string? s) => (s ?? "").Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

    private static string Afn(decimal a) => a.ToString("#,##0.00", CultureInfo.InvariantCulture) + " AFN";

    /// <summary>Western digits to Persian ones (and the separators to Persian ones) for the Dari block.</summary>
    private static string Fa(string s)
    {
        var b = new StringBuilder(s.Length);
        foreach (var c in s)
            b.Append(c switch { >= '0' and <= '9' => (char)('۰' + (c - '0')), ',' => '٬', '.' => '٫', _ => c });
        return b.ToString();
    }

    private static string AfnFa(decimal a) => Fa(a.ToString("#,##0.00", CultureInfo.InvariantCulture)) + " افغانی";

    private static string Both(DateOnly d) => $"{FiscalCalendar.SolarHijri(d)} SH · {d:yyyy-MM-dd}";

    private static string BothFa(DateOnly d) => $"{Fa(FiscalCalendar.SolarHijri(d))} هـ ش · {Fa(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))} م";

    private static readonly Dictionary<string, string> LandUseFa = new()
    {
        ["residential"] = "رهایشی", ["commercial"] = "تجارتی", ["industrial"] = "صنعتی", ["mixed"] = "مختلط",
        ["agricultural"] = "زراعتی", ["public"] = "عامه", ["religious"] = "مذهبی", ["vacant"] = "خالی",
    };

    private static string Page(string title, string number, string english, string dari) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{E(title)} {E(number)}</title><style>{Style}</style></head>
        <body><div class="doc">
        <section lang="en" dir="ltr">{english}</section>
        <hr>
        <section lang="fa" dir="rtl">{dari}</section>
        <p class="noprint"><button onclick="window.print()">Print · چاپ</button></p>
        </div></body></html>
        """;

    private static string Rows(params (string Label, string Value, bool Number)[] rows) =>
        "<table>" + string.Concat(rows.Select(r => $"<tr><th>{E(r.Label)}</th><td{(r.Number ? " class=\"n\"" : "")}>{E(r.Value)}</td></tr>")) + "</table>";

    public static string Invoice(string cityCode, string property, string district, string number, int year, DateOnly starts, DateOnly ends,
        decimal area, string landUse, string zone, decimal rate, bool exempt, decimal charged, decimal paid, decimal outstanding, decimal arrears, DateOnly issued)
    {
        var last = ends.AddDays(-1);
        var en = $"<h1>Municipal service charge (safayi) — invoice</h1><p class=\"no\">{E(number)}</p>" + Rows(
            ("Property", property, false), ("District", $"{cityCode} {district}", false),
            ("Fiscal year", $"{year} ({Both(starts)} to {Both(last)})", false), ("Issued", Both(issued), false),
            ("Area", area.ToString("#,##0.00", CultureInfo.InvariantCulture) + " m²", true), ("Land use", landUse + (exempt ? " (exempt)" : ""), false),
            ("Zone", zone, false), ("Rate", rate.ToString("0.####", CultureInfo.InvariantCulture) + " AFN/m²", true),
            ("Charged this year", Afn(charged), true), ("Paid", Afn(paid), true), ("Outstanding this year", Afn(outstanding), true),
            ("Arrears of earlier years", Afn(arrears), true)) +
            $"<table><tr class=\"total\"><td>Total due</td><td class=\"n\">{E(Afn(outstanding + arrears))}</td></tr></table>";
        var fa = $"<h1>صورت‌حساب محصول صفایی شاروالی</h1><p class=\"no\" dir=\"ltr\">{E(number)}</p>" + Rows(
            ("ملکیت", property, false), ("ناحیه", Fa(district), false),
            ("سال مالی", $"{Fa(year.ToString(CultureInfo.InvariantCulture))} ({BothFa(starts)} تا {BothFa(last)})", false), ("تاریخ صدور", BothFa(issued), false),
            ("مساحت", Fa(area.ToString("#,##0.00", CultureInfo.InvariantCulture)) + " متر مربع", true),
            ("نوع استفاده از زمین", LandUseFa.GetValueOrDefault(landUse, landUse) + (exempt ? " (معاف)" : ""), false),
            ("زون", Fa(zone), false), ("نرخ فی متر مربع", Fa(rate.ToString("0.####", CultureInfo.InvariantCulture)) + " افغانی", true),
            ("محصول امسال", AfnFa(charged), true), ("پرداخت شده", AfnFa(paid), true), ("باقی‌مانده امسال", AfnFa(outstanding), true),
            ("بقایای سال‌های گذشته", AfnFa(arrears), true)) +
            $"<table><tr class=\"total\"><td>مجموع قابل پرداخت</td><td class=\"n\">{E(AfnFa(outstanding + arrears))}</td></tr></table>";
        return Page("Invoice", number, en, fa);
    }

    public static string Receipt(RevenueApi.ReceiptRow r)
    {
        var methodFa = r.Method switch { "cash" => "نقد", "bank" => "بانک", "mobile" => "موبایل", "cheque" => "چک", _ => r.Method };
        var en = $"<h1>Municipal service charge (safayi) — receipt</h1><p class=\"no\">{E(r.Number)}</p>" + Rows(
            ("Property", r.PropertyCode, false), ("District", $"{r.CityCode} {r.District}", false), ("Fiscal year", r.Year.ToString(CultureInfo.InvariantCulture), false),
            ("Paid on", Both(r.PaidOn), false), ("Method", r.Method, false), ("Reference", r.Reference ?? "—", false),
            ("Received by", r.ReceivedBy, false), ("Balance after this payment", Afn(r.BalanceAfter), true)) +
            $"<table><tr class=\"total\"><td>Amount received</td><td class=\"n\">{E(Afn(r.Amount))}</td></tr></table>";
        var fa = $"<h1>رسید محصول صفایی شاروالی</h1><p class=\"no\" dir=\"ltr\">{E(r.Number)}</p>" + Rows(
            ("ملکیت", r.PropertyCode, false), ("ناحیه", Fa(r.District), false), ("سال مالی", Fa(r.Year.ToString(CultureInfo.InvariantCulture)), false),
            ("تاریخ پرداخت", BothFa(r.PaidOn), false), ("روش پرداخت", methodFa, false), ("مرجع", r.Reference ?? "-", false),
            ("دریافت کننده", r.ReceivedBy, false), ("بیلانس بعد از این پرداخت", AfnFa(r.BalanceAfter), true)) +
            $"<table><tr class=\"total\"><td>مبلغ دریافت شده</td><td class=\"n\">{E(AfnFa(r.Amount))}</td></tr></table>";
        return Page("Receipt", r.Number, en, fa);
    }
}
