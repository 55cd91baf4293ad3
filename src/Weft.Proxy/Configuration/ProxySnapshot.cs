using System.Globalization;
using Weft.Protocol.V1;
using Weft.Proxy.Authorization;
using Weft.Proxy.Routing;
using Weft.Proxy.Telemetry;

namespace Weft.Proxy.Configuration;

/// <summary>One inbound listener's compiled settings.</summary>
internal sealed class InboundRuntime(InboundPort port, string appPrefix, PeerLabels destination, System.Net.IPEndPoint? app = null)
{
    /// <summary>Where the application listens, as an address.</summary>
    public System.Net.IPEndPoint? App { get; } = app;

    public InboundPort Port { get; } = port;
    public int WorkloadPort { get; } = (int)port.Port;
    /// <summary>"http://127.0.0.1:41234/": where the application listens.</summary>
    public string AppPrefix { get; } = appPrefix;
    public MtlsMode MtlsMode { get; } = port.MtlsMode;
    /// <summary>This workload as the destination of inbound requests, for telemetry.</summary>
    public PeerLabels Destination { get; } = destination;

    /// <summary>The application speaks HTTP/2 (h2c) on this port, so HTTP/2 requests stay HTTP/2 to it.</summary>
    public bool AppSpeaksHttp2 { get; } = port.AppProtocol is "http2" or "grpc";

    /// <summary>The port is declared TCP: its bytes are relayed, never parsed as HTTP.</summary>
    public bool IsOpaqueTcp { get; } = port.AppProtocol == "tcp";
}

/// <summary>
/// Everything the request path needs, compiled once from a ProxyConfig and swapped in whole, so a
/// request sees one consistent config from start to end and no lock is taken per request.
/// </summary>
internal sealed class ProxySnapshot
{
    private ProxySnapshot(ProxyConfig config, RouteTable routes, AuthorizationEngine authorization, Dictionary<int, InboundRuntime> inbound, PeerLabels self, string peerHeader)
    {
        Config = config;
        Routes = routes;
        Authorization = authorization;
        InboundByListenPort = inbound;
        Self = self;
        PeerHeaderValue = peerHeader;
    }

    public ProxyConfig Config { get; }
    public string Version => Config.Version;
    public RouteTable Routes { get; }
    public AuthorizationEngine Authorization { get; }

    /// <summary>The workload's RequestAuthentication; null when none applies.</summary>
    public Authentication.RequestAuthenticator? Authenticator { get; private init; }
    public IReadOnlyDictionary<int, InboundRuntime> InboundByListenPort { get; }

    /// <summary>This workload as the source of outbound requests, for telemetry.</summary>
    public PeerLabels Self { get; }

    /// <summary>What this proxy tells peers about its workload (the x-weft-peer header).</summary>
    public string PeerHeaderValue { get; }

    /// <summary>Compiles a config; throws <see cref="ProxyConfigException"/> if it cannot be served.</summary>
    /// <param name="previous">The snapshot this one replaces: what the load balancers learned carries over.</param>
    public static ProxySnapshot Build(ProxyConfig config, IReadOnlyDictionary<int, int> listenPortByWorkloadPort, Authentication.JsonWebKeySetCache keySets, ProxySnapshot? previous = null)
    {
        var workload = config.Workload ?? throw new ProxyConfigException("config has no workload identity");
        RouteTable routes;
        AuthorizationEngine authorization;
        Authentication.RequestAuthenticator? authenticator;
        try
        {
            routes = RouteTable.Build(config, previous?.Routes);
            authorization = AuthorizationEngine.Build(config.Authorization);
            authenticator = Authentication.RequestAuthenticator.Build(config.JwtRules, keySets);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new ProxyConfigException(e.Message, e);
        }

        var self = PeerHeader.ToLabels(workload);
        var inbound = new Dictionary<int, InboundRuntime>();
        foreach (var port in config.Inbound)
        {
            if (!listenPortByWorkloadPort.TryGetValue((int)port.Port, out var listenPort))
            {
                continue; // this proxy has no listener for that workload port (nothing can reach it)
            }

            if (!System.Net.IPEndPoint.TryParse(port.AppAddress, out var app))
            {
                throw new ProxyConfigException($"inbound port {port.Port}: app address '{port.AppAddress}' is not host:port");
            }

            var destination = PeerHeader.ToLabels(workload, port.Services.Count > 0 ? port.Services[0] : "unknown");
            inbound[listenPort] = new InboundRuntime(port, string.Create(CultureInfo.InvariantCulture, $"http://{app}/"), destination, app);
        }

        return new ProxySnapshot(config, routes, authorization, inbound, self, PeerHeader.Format(workload)) { Authenticator = authenticator };
    }
}
