using NetTopologySuite.Geometries;

namespace UrbanMonitor.Api.Features.Cql2;

/// <summary>A node of a parsed CQL2 expression. <c>At</c> says where it was written: "position 12" in CQL2 text
/// (1-based character), or a JSON path such as "$.args[1]" in CQL2 JSON.</summary>
public abstract record Cql2Node(string At);

public sealed record Cql2And(string At, IReadOnlyList<Cql2Node> Args) : Cql2Node(At);
public sealed record Cql2Or(string At, IReadOnlyList<Cql2Node> Args) : Cql2Node(At);
public sealed record Cql2Not(string At, Cql2Node Arg) : Cql2Node(At);

/// <summary>A binary comparison; <c>Op</c> is one of <c>= &lt;&gt; &lt; &lt;= &gt; &gt;=</c>.</summary>
public sealed record Cql2Compare(string At, string Op, Cql2Node Left, Cql2Node Right) : Cql2Node(At);
public sealed record Cql2Like(string At, Cql2Node Value, Cql2Node Pattern, bool Negated) : Cql2Node(At);
public sealed record Cql2In(string At, Cql2Node Value, IReadOnlyList<Cql2Node> List, bool Negated) : Cql2Node(At);
public sealed record Cql2Between(string At, Cql2Node Value, Cql2Node Low, Cql2Node High, bool Negated) : Cql2Node(At);
public sealed record Cql2IsNull(string At, Cql2Node Value, bool Negated) : Cql2Node(At);

/// <summary>A spatial predicate; <c>Op</c> is lower case, e.g. <c>s_intersects</c>.</summary>
public sealed record Cql2Spatial(string At, string Op, Cql2Node A, Cql2Node B) : Cql2Node(At);

/// <summary>A temporal predicate; <c>Op</c> is lower case, e.g. <c>t_after</c>.</summary>
public sealed record Cql2Temporal(string At, string Op, Cql2Node A, Cql2Node B) : Cql2Node(At);

public sealed record Cql2Property(string At, string Name) : Cql2Node(At);
public sealed record Cql2String(string At, string Value) : Cql2Node(At);
public sealed record Cql2Number(string At, decimal Value) : Cql2Node(At);
public sealed record Cql2Boolean(string At, bool Value) : Cql2Node(At);
public sealed record Cql2Date(string At, DateOnly Value) : Cql2Node(At);

/// <summary>A timestamp, always UTC.</summary>
public sealed record Cql2Timestamp(string At, DateTime Value) : Cql2Node(At);

/// <summary>An interval; a null end is open (<c>..</c>). Ends are <see cref="Cql2Date"/> or <see cref="Cql2Timestamp"/>.</summary>
public sealed record Cql2Interval(string At, Cql2Node? Start, Cql2Node? End) : Cql2Node(At);

/// <summary>A geometry literal in the filter CRS's own axis order (SRID not yet set).</summary>
public sealed record Cql2Geometry(string At, Geometry Value) : Cql2Node(At);

/// <summary>A filter that cannot be parsed or compiled; the message says what and where.</summary>
public sealed class Cql2Exception(string message) : Exception(message);
