using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.AspNetCore.Http;
using Weft.Protocol.V1;

namespace Weft.Proxy.LoadBalancing;

/// <summary>
/// Istio's consistentHash: requests with the same key (a header, a cookie, the source IP) go to
/// the same endpoint. Rendezvous hashing — each endpoint scores hash(key, endpoint), the highest
/// wins — so adding or removing an endpoint moves only the keys that belonged to it, and every
/// sidecar agrees on the choice.
/// </summary>
internal sealed class ConsistentHashBalancer(ConsistentHash config)
{
    public string? CookieToSet => config.KeyCase == ConsistentHash.KeyOneofCase.CookieName && config.CookieTtl?.ToTimeSpan() > TimeSpan.Zero ? config.CookieName : null;

    public EndpointState? Pick(EndpointState[] endpoints, HttpContext context, IRandomSource random)
    {
        if (endpoints.Length == 0)
        {
            return null;
        }

        var key = KeyOf(context);
        if (key is null)
        {
            return endpoints[random.Next(endpoints.Length)];
        }

        var keyHash = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(key.AsSpan()));
        EndpointState? best = null;
        ulong bestScore = 0;
        foreach (var endpoint in endpoints)
        {
            var score = Mix(keyHash ^ endpoint.AddressHash);
            if (best is null || score > bestScore)
            {
                best = endpoint;
                bestScore = score;
            }
        }

        return best;
    }

    private string? KeyOf(HttpContext context)
    {
        switch (config.KeyCase)
        {
            case ConsistentHash.KeyOneofCase.HeaderName:
                return context.Request.Headers[config.HeaderName] is { Count: > 0 } header ? header[0] : null;
            case ConsistentHash.KeyOneofCase.UseSourceIp:
                return context.Connection.RemoteIpAddress?.ToString();
            case ConsistentHash.KeyOneofCase.CookieName:
                if (context.Request.Cookies.TryGetValue(config.CookieName, out var cookie))
                {
                    return cookie;
                }

                if (CookieToSet is null)
                {
                    return null;
                }

                // No cookie yet: make one, hash on it, and hand it to the client so it sticks.
                var generated = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
                context.Response.Cookies.Append(config.CookieName, generated, new CookieOptions
                {
                    Path = string.IsNullOrEmpty(config.CookiePath) ? "/" : config.CookiePath,
                    MaxAge = config.CookieTtl.ToTimeSpan(),
                    HttpOnly = true,
                });
                return generated;
            default:
                return null;
        }
    }

    /// <summary>A 64-bit finaliser (SplitMix64) so that XOR-combined hashes spread evenly.</summary>
    private static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9UL;
        value = (value ^ (value >> 27)) * 0x94d049bb133111ebUL;
        return value ^ (value >> 31);
    }

    public static ulong HashOf(string address) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(address));
}
