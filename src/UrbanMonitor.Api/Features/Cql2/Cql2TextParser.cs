using System.Globalization;
using System.Text;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace UrbanMonitor.Api.Features.Cql2;

/// <summary>
/// A recursive-descent parser of CQL2 text (basic CQL2, advanced comparison, basic spatial and temporal functions).
/// It only builds a tree; SQL is made from the tree by <see cref="Cql2Compiler"/>. Errors name the 1-based position.
/// </summary>
public sealed class Cql2TextParser
{
    private static readonly HashSet<string> GeometryWords = new(StringComparer.OrdinalIgnoreCase)
        { "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION" };

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
        { "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "TRUE", "FALSE", "DATE", "TIMESTAMP", "INTERVAL", "BBOX" };

    internal static readonly HashSet<string> SpatialOps = new(StringComparer.OrdinalIgnoreCase)
        { "s_intersects", "s_disjoint", "s_within", "s_contains", "s_equals", "s_touches", "s_crosses", "s_overlaps" };

    internal static readonly HashSet<string> TemporalOps = new(StringComparer.OrdinalIgnoreCase)
        { "t_after", "t_before", "t_equals", "t_intersects", "t_during", "t_disjoint" };

    private readonly string _s;
    private int _i;

    private Cql2TextParser(string text) => _s = text;

    /// <summary>Parses a whole filter; throws <see cref="Cql2Exception"/> with the position of the first error.</summary>
    public static Cql2Node Parse(string text)
    {
        var p = new Cql2TextParser(text);
        p.SkipSpace();
        if (p._i >= p._s.Length) throw new Cql2Exception("The filter is empty.");
        var node = p.ParseOr();
        p.SkipSpace();
        if (p._i < p._s.Length) throw p.Error($"unexpected '{p.Snippet()}'");
        return node;
    }

    private string At(int i) => "position " + (i + 1).ToString(CultureInfo.InvariantCulture);

    private Cql2Exception Error(string what, int? at = null) =>
        new($"Invalid CQL2 text at position {(at ?? _i) + 1}: {what}.");

    private string Snippet()
    {
        var end = Math.Min(_s.Length, _i + 20);
        return _s[_i..end];
    }

    private void SkipSpace()
    {
        while (_i < _s.Length && char.IsWhiteSpace(_s[_i])) _i++;
    }

    private bool AtEnd()
    {
        SkipSpace();
        return _i >= _s.Length;
    }

    private bool TryChar(char c)
    {
        SkipSpace();
        if (_i < _s.Length && _s[_i] == c)
        {
            _i++;
            return true;
        }
        return false;
    }

    private void Expect(char c)
    {
        if (!TryChar(c)) throw Error(AtEnd() ? $"expected '{c}' but the filter ends" : $"expected '{c}' but found '{Snippet()}'");
    }

    private static bool IsWordStart(char c) => char.IsAsciiLetter(c) || c == '_';
    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or ':';

    /// <summary>The next bare word without consuming it, or null.</summary>
    private string? PeekWord()
    {
        SkipSpace();
        if (_i >= _s.Length || !IsWordStart(_s[_i])) return null;
        var j = _i;
        while (j < _s.Length && IsWordChar(_s[j])) j++;
        return _s[_i..j];
    }

    private bool TryKeyword(string keyword)
    {
        var w = PeekWord();
        if (w is null || !w.Equals(keyword, StringComparison.OrdinalIgnoreCase)) return false;
        _i += w.Length;
        return true;
    }

    private void ExpectKeyword(string keyword)
    {
        if (!TryKeyword(keyword)) throw Error(AtEnd() ? $"expected {keyword} but the filter ends" : $"expected {keyword} but found '{Snippet()}'");
    }

    private Cql2Node ParseOr()
    {
        SkipSpace();
        var start = _i;
        var args = new List<Cql2Node> { ParseAnd() };
        while (TryKeyword("OR")) args.Add(ParseAnd());
        return args.Count == 1 ? args[0] : new Cql2Or(At(start), args);
    }

    private Cql2Node ParseAnd()
    {
        SkipSpace();
        var start = _i;
        var args = new List<Cql2Node> { ParseNot() };
        while (TryKeyword("AND")) args.Add(ParseNot());
        return args.Count == 1 ? args[0] : new Cql2And(At(start), args);
    }

    private Cql2Node ParseNot()
    {
        SkipSpace();
        var start = _i;
        if (TryKeyword("NOT")) return new Cql2Not(At(start), ParseNot());
        return ParsePrimary();
    }

    private Cql2Node ParsePrimary()
    {
        SkipSpace();
        var start = _i;
        if (AtEnd()) throw Error("expected a condition but the filter ends");
        if (TryChar('('))
        {
            var inner = ParseOr();
            Expect(')');
            return inner;
        }
        var word = PeekWord();
        if (word is not null && (SpatialOps.Contains(word) || TemporalOps.Contains(word)))
        {
            _i += word.Length;
            Expect('(');
            var a = ParseScalar();
            Expect(',');
            var b = ParseScalar();
            Expect(')');
            var op = word.ToLowerInvariant();
            return SpatialOps.Contains(word) ? new Cql2Spatial(At(start), op, a, b) : new Cql2Temporal(At(start), op, a, b);
        }
        var left = ParseScalar();
        SkipSpace();
        var opAt = _i;
        var negated = TryKeyword("NOT");
        if (TryKeyword("LIKE")) return new Cql2Like(At(opAt), left, ParseScalar(), negated);
        if (TryKeyword("BETWEEN"))
        {
            var low = ParseScalar();
            ExpectKeyword("AND");
            return new Cql2Between(At(opAt), left, low, ParseScalar(), negated);
        }
        if (TryKeyword("IN"))
        {
            Expect('(');
            var list = new List<Cql2Node> { ParseScalar() };
            while (TryChar(',')) list.Add(ParseScalar());
            Expect(')');
            return new Cql2In(At(opAt), left, list, negated);
        }
        if (negated) throw Error("expected LIKE, BETWEEN or IN after NOT", opAt);
        if (TryKeyword("IS"))
        {
            var not = TryKeyword("NOT");
            ExpectKeyword("NULL");
            return new Cql2IsNull(At(opAt), left, not);
        }
        var compareOp = TryComparisonOperator();
        if (compareOp is null)
            throw Error(AtEnd() ? "expected an operator (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL) but the filter ends"
                : $"expected an operator (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL) but found '{Snippet()}'");
        return new Cql2Compare(At(opAt), compareOp, left, ParseScalar());
    }

    private string? TryComparisonOperator()
    {
        SkipSpace();
        foreach (var op in new[] { "<>", "<=", ">=", "=", "<", ">" })
        {
            if (string.CompareOrdinal(_s, _i, op, 0, op.Length) == 0)
            {
                _i += op.Length;
                return op;
            }
        }
        return null;
    }

    private Cql2Node ParseScalar()
    {
        SkipSpace();
        var start = _i;
        if (_i >= _s.Length) throw Error("expected a value or a property but the filter ends");
        var c = _s[_i];
        if (c == '\'') return new Cql2String(At(start), ReadString());
        if (c == '"')
        {
            var name = ReadQuotedIdentifier();
            return new Cql2Property(At(start), name);
        }
        if (char.IsAsciiDigit(c) || ((c == '-' || c == '+' || c == '.') && _i + 1 < _s.Length && (char.IsAsciiDigit(_s[_i + 1]) || _s[_i + 1] == '.')))
            return new Cql2Number(At(start), ReadNumber());
        var word = PeekWord() ?? throw Error($"expected a value or a property but found '{Snippet()}'");
        if (GeometryWords.Contains(word)) return new Cql2Geometry(At(start), ReadWkt());
        if (word.Equals("TRUE", StringComparison.OrdinalIgnoreCase) || word.Equals("FALSE", StringComparison.OrdinalIgnoreCase))
        {
            _i += word.Length;
            return new Cql2Boolean(At(start), word.Equals("TRUE", StringComparison.OrdinalIgnoreCase));
        }
        if (word.Equals("DATE", StringComparison.OrdinalIgnoreCase) || word.Equals("TIMESTAMP", StringComparison.OrdinalIgnoreCase))
        {
            _i += word.Length;
            Expect('(');
            SkipSpace();
            var litAt = _i;
            if (_i >= _s.Length || _s[_i] != '\'') throw Error($"{word.ToUpperInvariant()} needs a quoted string");
            var text = ReadString();
            Expect(')');
            if (word.Equals("DATE", StringComparison.OrdinalIgnoreCase))
                return Cql2Literals.TryDate(text, out var d) ? new Cql2Date(At(start), d) : throw Error($"'{text}' is not a date (YYYY-MM-DD)", litAt);
            return Cql2Literals.TryTimestamp(text, out var ts) ? new Cql2Timestamp(At(start), ts) : throw Error($"'{text}' is not an RFC 3339 timestamp", litAt);
        }
        if (word.Equals("INTERVAL", StringComparison.OrdinalIgnoreCase))
        {
            _i += word.Length;
            Expect('(');
            var a = ReadIntervalEnd();
            Expect(',');
            var b = ReadIntervalEnd();
            Expect(')');
            return new Cql2Interval(At(start), a, b);
        }
        if (word.Equals("BBOX", StringComparison.OrdinalIgnoreCase))
        {
            _i += word.Length;
            Expect('(');
            var n = new List<double> { (double)ReadNumber() };
            while (TryChar(',')) n.Add((double)ReadNumber());
            Expect(')');
            if (n.Count is not (4 or 6)) throw Error("BBOX needs 4 (or 6) numbers", start);
            var (x1, y1, x2, y2) = n.Count == 4 ? (n[0], n[1], n[2], n[3]) : (n[0], n[1], n[3], n[4]);
            return new Cql2Geometry(At(start), new GeometryFactory().ToGeometry(new Envelope(x1, x2, y1, y2)));
        }
        if (Reserved.Contains(word)) throw Error($"'{word}' is a keyword, not a value or property (quote property names that are keywords)");
        _i += word.Length;
        SkipSpace();
        if (_i < _s.Length && _s[_i] == '(') throw Error($"unknown function '{word}'", start);
        return new Cql2Property(At(start), word);
    }

    private Cql2Node? ReadIntervalEnd()
    {
        SkipSpace();
        var at = _i;
        if (TryKeyword("DATE") || TryKeyword("TIMESTAMP"))
        {
            _i = at;
            var n = ParseScalar();
            return n;
        }
        if (_i >= _s.Length || _s[_i] != '\'') throw Error("an INTERVAL end must be a quoted date, timestamp or '..'");
        var text = ReadString();
        if (text == "..") return null;
        return Cql2Literals.Instant(At(at), text) ?? throw Error($"'{text}' is neither a date nor an RFC 3339 timestamp", at);
    }

    private string ReadString()
    {
        var start = _i;
        _i++; // opening quote
        var sb = new StringBuilder();
        while (true)
        {
            if (_i >= _s.Length) throw Error("unterminated string (a quote inside a string is written '')", start);
            var c = _s[_i++];
            if (c == '\'')
            {
                if (_i < _s.Length && _s[_i] == '\'')
                {
                    sb.Append('\'');
                    _i++;
                    continue;
                }
                return sb.ToString();
            }
            sb.Append(c);
        }
    }

    private string ReadQuotedIdentifier()
    {
        var start = _i;
        _i++;
        var end = _s.IndexOf('"', _i);
        if (end < 0) throw Error("unterminated quoted property name", start);
        var name = _s[_i..end];
        _i = end + 1;
        return name;
    }

    private decimal ReadNumber()
    {
        SkipSpace();
        var start = _i;
        if (_i < _s.Length && (_s[_i] == '-' || _s[_i] == '+')) _i++;
        while (_i < _s.Length && (char.IsAsciiDigit(_s[_i]) || _s[_i] == '.')) _i++;
        if (_i < _s.Length && (_s[_i] == 'e' || _s[_i] == 'E'))
        {
            _i++;
            if (_i < _s.Length && (_s[_i] == '-' || _s[_i] == '+')) _i++;
            while (_i < _s.Length && char.IsAsciiDigit(_s[_i])) _i++;
        }
        var text = _s[start.._i];
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            throw Error(text.Length == 0 ? $"expected a number but found '{Snippet()}'" : $"'{text}' is not a number", start);
        return value;
    }

    private Geometry ReadWkt()
    {
        var start = _i;
        while (_i < _s.Length && _s[_i] != '(') _i++;
        var between = _s[start.._i];
        if (between.TrimEnd().EndsWith("EMPTY", StringComparison.OrdinalIgnoreCase))
            throw Error("empty geometries are not supported", start);
        if (_i >= _s.Length) throw Error("a geometry needs coordinates in parentheses", start);
        var depth = 0;
        do
        {
            if (_s[_i] == '(') depth++;
            else if (_s[_i] == ')') depth--;
            _i++;
        }
        while (depth > 0 && _i < _s.Length);
        if (depth > 0) throw Error("unbalanced parentheses in the geometry", start);
        var wkt = _s[start.._i];
        try
        {
            return new WKTReader().Read(wkt);
        }
        catch (Exception e) when (e is ParseException or ArgumentException or FormatException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw Error($"invalid WKT geometry ({e.Message})", start);
        }
    }
}
