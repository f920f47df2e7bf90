using System.Globalization;

namespace UrbanMonitor.Domain.Text;

/// <summary>
/// What text the registry accepts in names, codes and references: any script (Dari, Pashto, Latin …) including the
/// zero-width non-joiner and joiner that Persian spelling needs, but no control characters (NUL included), no
/// bidirectional overrides, embeddings or isolates (they make a name read differently from what is stored), no
/// invisible zero-width spaces or byte-order marks, no unpaired surrogates and no non-characters.
/// </summary>
public static class TextRules
{
    /// <summary>Why <paramref name="value"/> is refused (naming the character and its position), or null when accepted.
    /// <paramref name="multiline"/> free text (a statement, a decision) may also hold line breaks and tabs.</summary>
    public static string? Problem(string field, string value, int maxLength = 500, bool multiline = false)
    {
        if (value.Length > maxLength) return $"'{field}' is {value.Length:N0} characters long; at most {maxLength:N0}.";
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                var cp = char.ConvertToUtf32(c, value[i + 1]);
                if ((cp & 0xFFFE) == 0xFFFE) return Describe(field, cp, i, "a non-character");
                i++;
                continue;
            }
            if (char.IsSurrogate(c)) return Describe(field, c, i, "half of a UTF-16 surrogate pair (broken text)");
            if (multiline && c is '\n' or '\r' or '\t') continue;
            var why = c switch
            {
                '\0' => "a NUL character",
                _ when c < 0x20 || (c >= 0x7F && c < 0xA0) => "a control character",
                >= '\u202A' and <= '\u202E' => "a bidirectional embedding or override, which makes text read differently from what is stored",
                >= '\u2066' and <= '\u2069' => "a bidirectional isolate, which makes text read differently from what is stored",
                '\u200B' or '\u2060' or '\uFEFF' => "an invisible zero-width space, which makes equal-looking texts differ",
                '\uFFFE' or '\uFFFF' or (>= '\uFDD0' and <= '\uFDEF') => "a non-character",
                _ => null,
            };
            if (why is not null) return Describe(field, c, i, why);
        }
        return null;
    }

    private static string Describe(string field, int codePoint, int index, string what) =>
        $"'{field}' holds U+{codePoint.ToString("X4", CultureInfo.InvariantCulture)} at position {index + 1}: {what}. Remove it and send the text again.";
}
