using System.Globalization;

namespace Weft.Proxy.Routing;

/// <summary>Splits a Host header / URI authority into host and port without allocating.</summary>
internal static class Authority
{
    public const int DefaultPort = 80;

    /// <summary>
    /// "payments" → (payments, 80); "payments:8080" → (payments, 8080); "[::1]:8080" → (::1, 8080).
    /// An empty port ("payments:") means the default. A single trailing dot ("payments.") is dropped.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> authority, out ReadOnlySpan<char> host, out int port)
    {
        port = DefaultPort;
        ReadOnlySpan<char> portText;
        if (authority.Length > 0 && authority[0] == '[')
        {
            var close = authority.IndexOf(']');
            if (close < 0)
            {
                host = default;
                return false;
            }

            host = authority[1..close];
            var rest = authority[(close + 1)..];
            if (rest.Length > 0 && rest[0] != ':')
            {
                return false;
            }

            portText = rest.Length > 0 ? rest[1..] : default;
        }
        else
        {
            var colon = authority.IndexOf(':');
            if (colon < 0)
            {
                host = authority;
                portText = default;
            }
            else
            {
                host = authority[..colon];
                portText = authority[(colon + 1)..];
            }

            if (host.Length > 1 && host[^1] == '.')
            {
                host = host[..^1];
            }
        }

        if (portText.Length > 0
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535))
        {
            return false;
        }

        return host.Length > 0;
    }
}
