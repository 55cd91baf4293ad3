using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Weft.Proxy.Tests.TestSupport;

internal static class Headers
{
    /// <summary>"a=1;b=x|y" → a: 1, b: [x, y]. Null or empty → no headers.</summary>
    public static HeaderDictionary Parse(string? spec)
    {
        var headers = new HeaderDictionary();
        if (string.IsNullOrEmpty(spec))
        {
            return headers;
        }

        foreach (var pair in spec.Split(';'))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            headers[pair[..equals]] = new StringValues(pair[(equals + 1)..].Split('|'));
        }

        return headers;
    }
}
