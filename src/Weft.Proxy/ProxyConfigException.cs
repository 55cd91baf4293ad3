namespace Weft.Proxy;

/// <summary>
/// A <see cref="Weft.Protocol.V1.ProxyConfig"/> that cannot be compiled (unknown cluster, invalid regex,
/// invalid CIDR, …). The proxy NACKs the snapshot and keeps serving on its last good config.
/// </summary>
internal sealed class ProxyConfigException(string message, Exception? innerException = null)
    : Exception(message, innerException);
