using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Weft.Proxy.Interception;

/// <summary>
/// Where a connection redirected by an iptables REDIRECT rule was headed before the redirect: the
/// kernel keeps it in the connection's conntrack entry and hands it out as SO_ORIGINAL_DST.
/// </summary>
internal static class OriginalDestination
{
    private const int SolIp = 0;
    private const int SolIpv6 = 41;
    // SO_ORIGINAL_DST (IPv4) and IP6T_SO_ORIGINAL_DST (IPv6) share the number.
    private const int SoOriginalDst = 80;
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    /// <summary>The original destination, or null when the connection was not redirected (or this is not Linux).</summary>
    public static IPEndPoint? Of(ConnectionContext connection) =>
        connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket ? Of(socket) : null;

    public static IPEndPoint? Of(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Span<byte> sockaddr = stackalloc byte[28];
        var ipv6 = socket.LocalEndPoint is IPEndPoint { Address: { AddressFamily: AddressFamily.InterNetworkV6, IsIPv4MappedToIPv6: false } };
        try
        {
            var length = socket.GetRawSocketOption(ipv6 ? SolIpv6 : SolIp, SoOriginalDst, sockaddr);
            return Parse(sockaddr[..length]);
        }
        catch (SocketException)
        {
            return null; // ENOENT: no conntrack entry with a changed destination — the connection came straight here
        }
    }

    /// <summary>Reads a Linux sockaddr_in or sockaddr_in6 (family in host order, port in network order).</summary>
    internal static IPEndPoint? Parse(ReadOnlySpan<byte> sockaddr)
    {
        if (sockaddr.Length < 8)
        {
            return null;
        }

        var family = BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(sockaddr) : BinaryPrimitives.ReadUInt16BigEndian(sockaddr);
        var port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
        return family switch
        {
            AfInet => new IPEndPoint(new IPAddress(sockaddr.Slice(4, 4)), port),
            AfInet6 when sockaddr.Length >= 28 => new IPEndPoint(new IPAddress(sockaddr.Slice(8, 16), BinaryPrimitives.ReadUInt32LittleEndian(sockaddr[24..])), port),
            _ => null,
        };
    }
}

/// <summary>The original destination of a captured outbound connection, for the request pipeline.</summary>
internal sealed record OriginalDestinationFeature(IPEndPoint Destination);
