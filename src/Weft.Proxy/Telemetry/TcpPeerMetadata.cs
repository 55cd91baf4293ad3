using System.Buffers.Binary;
using System.Text;
using Weft.Proxy.Configuration;

namespace Weft.Proxy.Telemetry;

/// <summary>
/// Peer metadata for TCP tunnels between sidecars (what x-weft-peer is for HTTP, and Istio's
/// metadata exchange for TCP): the client sidecar opens every mTLS tunnel (ALPN weft/tcp) with
/// its workload's labels — a 2-byte big-endian length and the x-weft-peer value in UTF-8 — so
/// the server sidecar reports TCP metrics with the same source labels the client does. The
/// server reads it only on such tunnels, never passes it to the app, and believes it only
/// because the tunnel is mTLS.
/// </summary>
internal static class TcpPeerMetadata
{
    public const int MaxLength = 4096;

    public static async Task WriteAsync(Stream tunnel, string peerHeaderValue, CancellationToken cancellation)
    {
        var length = Encoding.UTF8.GetByteCount(peerHeaderValue);
        if (length > MaxLength)
        {
            throw new ArgumentException("peer metadata too long", nameof(peerHeaderValue));
        }

        var frame = new byte[2 + length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)length);
        Encoding.UTF8.GetBytes(peerHeaderValue, frame.AsSpan(2));
        await tunnel.WriteAsync(frame, cancellation);
        await tunnel.FlushAsync(cancellation);
    }

    /// <summary>The client workload's labels from the tunnel's first bytes; null when the tunnel ends or lies about the length.</summary>
    public static async Task<PeerLabels?> ReadAsync(Stream tunnel, CancellationToken cancellation)
    {
        var header = new byte[2];
        try
        {
            await tunnel.ReadExactlyAsync(header, cancellation);
            var length = BinaryPrimitives.ReadUInt16BigEndian(header);
            if (length > MaxLength)
            {
                return null;
            }

            var value = new byte[length];
            await tunnel.ReadExactlyAsync(value, cancellation);
            return PeerHeader.Parse(Encoding.UTF8.GetString(value));
        }
        catch (EndOfStreamException)
        {
            return null;
        }
    }
}
