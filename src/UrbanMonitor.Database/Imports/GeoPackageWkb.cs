using System.Buffers.Binary;

namespace UrbanMonitor.Database.Imports;

/// <summary>
/// Turns a GeoPackage geometry blob straight into PostGIS EWKB when its WKB is plain and well-formed, so the import
/// copies the bytes the file already holds instead of building and re-serialising a NetTopologySuite geometry.
/// Anything else (empty, extended GeoPackage types, curves, mixed dimensions, a length that does not add up) returns
/// null and goes through the NTS reader, which gives the feature its exact error message.
/// </summary>
public static class GeoPackageWkb
{
    private const uint SridFlag = 0x20000000;

    /// <summary>EWKB with room for the SRID (bytes 5-8, written by <see cref="SetSrid"/>), or null to take the slow path.</summary>
    public static byte[]? ToEwkb(ReadOnlySpan<byte> blob)
    {
        // GeoPackage header: "GP", version, flags, srs_id (4 bytes), then an envelope whose size the flags give.
        if (blob.Length < 8 || blob[0] != (byte)'G' || blob[1] != (byte)'P') return null;
        var flags = blob[3];
        if ((flags & 0x30) != 0) return null; // extended type or the empty flag
        var envelope = ((flags >> 1) & 0x07) switch { 0 => 0, 1 => 32, 2 or 3 => 48, 4 => 64, _ => -1 };
        if (envelope < 0 || blob.Length < 8 + envelope) return null;
        var wkb = blob[(8 + envelope)..];
        var end = 0;
        if (!Walk(wkb, ref end, expected: 0, dims: -1, depth: 0) || end != wkb.Length) return null;

        // EWKB: byte order, type with the SRID flag, SRID, then the rest of the WKB unchanged.
        var ewkb = new byte[wkb.Length + 4];
        ewkb[0] = wkb[0];
        var little = wkb[0] == 1;
        var type = Read(wkb[1..], little) | SridFlag;
        if (little) BinaryPrimitives.WriteUInt32LittleEndian(ewkb.AsSpan(1), type);
        else BinaryPrimitives.WriteUInt32BigEndian(ewkb.AsSpan(1), type);
        wkb[5..].CopyTo(ewkb.AsSpan(9));
        return ewkb;
    }

    /// <summary>Writes the SRID into EWKB made by <see cref="ToEwkb"/>, in its byte order.</summary>
    public static void SetSrid(byte[] ewkb, int srid)
    {
        if (ewkb[0] == 1) BinaryPrimitives.WriteInt32LittleEndian(ewkb.AsSpan(5), srid);
        else BinaryPrimitives.WriteInt32BigEndian(ewkb.AsSpan(5), srid);
    }

    private static uint Read(ReadOnlySpan<byte> b, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);

    // Walks one WKB geometry from pos, checking every count against the bytes left. expected: the type a part of a
    // multi-geometry must have (0: any); dims: the coordinate dimension of the parent (-1: none yet).
    private static bool Walk(ReadOnlySpan<byte> wkb, ref int pos, uint expected, int dims, int depth)
    {
        if (depth > 8 || wkb.Length - pos < 5 || wkb[pos] > 1) return false;
        var little = wkb[pos] == 1;
        var type = Read(wkb[(pos + 1)..], little);
        pos += 5;
        var kind = type % 1000;
        var d = (type / 1000) switch { 0 => 2, 1 or 2 => 3, 3 => 4, _ => 0 };
        if (d == 0 || (dims >= 0 && d != dims) || (expected != 0 && kind != expected)) return false;
        var point = 8 * d;
        switch (kind)
        {
            case 1:
                if (wkb.Length - pos < point) return false;
                if (double.IsNaN(BitConverter.Int64BitsToDouble(little
                        ? BinaryPrimitives.ReadInt64LittleEndian(wkb[pos..]) : BinaryPrimitives.ReadInt64BigEndian(wkb[pos..]))))
                    return false; // POINT EMPTY is written as NaN coordinates
                pos += point;
                return true;
            case 2:
                return Points(wkb, ref pos, little, point, minimum: 2);
            case 3:
                if (!Count(wkb, ref pos, little, out var rings)) return false;
                for (var i = 0; i < rings; i++)
                {
                    var start = pos + 4;
                    if (!Points(wkb, ref pos, little, point, minimum: 4)) return false;
                    // A ring that does not end where it starts is left to the NTS reader, which names the fault.
                    if (!wkb.Slice(start, point).SequenceEqual(wkb.Slice(pos - point, point))) return false;
                }
                return true;
            case 4 or 5 or 6 or 7:
                if (!Count(wkb, ref pos, little, out var parts)) return false;
                for (var i = 0; i < parts; i++)
                    if (!Walk(wkb, ref pos, kind == 7 ? 0 : kind - 3, d, depth + 1)) return false;
                return true;
            default:
                return false;
        }
    }

    // A count of at least one that fits in what is left (each item needs at least 4 bytes).
    private static bool Count(ReadOnlySpan<byte> wkb, ref int pos, bool little, out long count)
    {
        count = 0;
        if (wkb.Length - pos < 4) return false;
        count = Read(wkb[pos..], little);
        pos += 4;
        return count > 0 && count <= (wkb.Length - pos) / 4;
    }

    private static bool Points(ReadOnlySpan<byte> wkb, ref int pos, bool little, int point, int minimum)
    {
        if (!Count(wkb, ref pos, little, out var n) || n < minimum || n > (wkb.Length - pos) / point) return false;
        pos += (int)n * point;
        return true;
    }
}
