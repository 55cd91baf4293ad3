using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Weft.IntegrationTests;

/// <summary>
/// An HTTP server on 127.0.0.1 (ephemeral port) that answers every request with one status and
/// the harness's fixed 100-byte body, and counts what it served. HTTP/2 is served as prior
/// knowledge h2c, which Kestrel only does on a listener that speaks HTTP/2 alone.
/// </summary>
public sealed class FixedStatusServer : IAsyncDisposable
{
    private static readonly byte[] Body = "peer-baseline backend: a fixed 100-byte body so every variant moves the same payload..............."u8.ToArray();

    private readonly WebApplication _app;
    private long _requests;

    private FixedStatusServer(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public long Requests => Interlocked.Read(ref _requests);

    public static async Task<FixedStatusServer> StartAsync(int status, bool http2 = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = http2 ? HttpProtocols.Http2 : HttpProtocols.Http1));
        var app = builder.Build();
        var server = new FixedStatusServer(app);
        app.Run(async context =>
        {
            Interlocked.Increment(ref server._requests);
            context.Response.StatusCode = status;
            context.Response.ContentLength = Body.Length;
            await context.Response.Body.WriteAsync(Body, context.RequestAborted);
        });
        await app.StartAsync();
        server.Url = app.Urls.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/";
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
