namespace Weft.Mesh.Compilation;

/// <summary>
/// The protocol a port carries, declared as Kubernetes and Istio do: `appProtocol`, else the port
/// name's prefix (`grpc-…`, `http2-…`). An undeclared port is
/// detected from its first bytes by the proxy ("http" here means: HTTP if it looks like HTTP).
/// </summary>
internal static class AppProtocols
{
    public const string Http = "http";
    public const string Http2 = "http2";
    public const string Grpc = "grpc";
    public const string Tcp = "tcp";

    public static string Of(string? appProtocol, string? portName)
    {
        var declared = (appProtocol ?? PrefixOf(portName) ?? Http).ToLowerInvariant();
        return declared switch
        {
            "grpc" or "grpc-web" => Grpc,
            "http2" or "h2c" or "kubernetes.io/h2c" => Http2,
            "tcp" or "mongo" or "mysql" or "redis" or "tls" => Tcp,
            _ => Http,
        };
    }

    private static string? PrefixOf(string? portName)
    {
        if (string.IsNullOrEmpty(portName))
        {
            return null;
        }

        var dash = portName.IndexOf('-');
        return dash < 0 ? portName : portName[..dash];
    }
}
