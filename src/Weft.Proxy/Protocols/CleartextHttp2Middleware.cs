using Microsoft.AspNetCore.Connections;
using System.Net.Security;

namespace Weft.Proxy.Protocols;

/// <summary>
/// Connection middleware for cleartext listeners: an application that opens with the HTTP/2
/// preface (h2c with prior knowledge, as gRPC clients do) is served HTTP/2; anything else HTTP/1.1.
/// </summary>
internal static class CleartextHttp2Middleware
{
    private static readonly TimeSpan DetectionTimeout = TimeSpan.FromSeconds(5);

    public static async Task DetectAsync(ConnectionContext connection)
    {
        var start = await ConnectionPeek.ReadAsync(connection.Transport.Input, Http2Preface.Length,
            buffer => Http2Preface.CanDecide(buffer.FirstSpan), DetectionTimeout, connection.ConnectionClosed);
        if (Http2Preface.Matches(start))
        {
            NegotiatedProtocol.Set(connection, SslApplicationProtocol.Http2);
        }
    }
}
