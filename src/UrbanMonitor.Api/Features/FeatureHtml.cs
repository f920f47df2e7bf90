using System.Net;
using System.Text;

namespace UrbanMonitor.Api.Features;

/// <summary>The plain HTML views of the OGC API resources (<c>f=html</c>, or a browser's Accept header).</summary>
internal static class FeatureHtml
{
    public static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    public static IResult Page(string title, string body)
    {
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>{E(title)} · UrbanMonitor</title>
            <style>body{"{"}font:15px/1.4 system-ui,sans-serif;margin:2em;max-width:70em{"}"}table{"{"}border-collapse:collapse{"}"}td,th{"{"}border:1px solid #ccc;padding:2px 6px;text-align:left{"}"}</style>
            </head><body>
            <p><a href="/">UrbanMonitor</a> · <a href="/collections">Collections</a> · <a href="/docs">API docs</a></p>
            <h1>{E(title)}</h1>
            {body}
            </body></html>
            """;
        return Results.Text(html, "text/html; charset=utf-8");
    }

    public static string Links(IEnumerable<FeatureLink> links)
    {
        var sb = new StringBuilder("<ul>");
        foreach (var l in links)
            sb.Append($"<li><a href=\"{E(l.Href)}\">{E(l.Title ?? l.Rel)}</a> <small>({E(l.Rel)}, {E(l.Type)})</small></li>");
        return sb.Append("</ul>").ToString();
    }

    public static string Table(IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rows)
    {
        var sb = new StringBuilder("<table><tr>");
        foreach (var h in headers) sb.Append("<th>").Append(E(h)).Append("</th>");
        sb.Append("</tr>");
        foreach (var r in rows)
        {
            sb.Append("<tr>");
            foreach (var c in r) sb.Append("<td>").Append(c).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</table>").ToString();
    }
}

/// <summary>A link of an OGC API response; every link has a media type.</summary>
public sealed record FeatureLink(string Href, string Rel, string Type, string? Title = null);
