using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Weft.Proxy.Forwarding;
using Weft.Proxy.Http1;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Tests.Http1;

/// <summary>The engine's forward stage over a real socket to a scripted upstream: what it sends, and how it relays what comes back.</summary>
public sealed class Http1ForwarderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_that_arrived_with_its_head_is_sent_after_the_spliced_head(bool buffered)
    {
        using var upstream = new ScriptedUpstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        var (exchange, client) = await ExchangeAsync("POST /p HTTP/1.1\r\nHost: svc\r\nContent-Length: 2\r\nConnection: keep-alive\r\nx-drop: me\r\n\r\nab");
        if (buffered)
        {
            Assert.True(await exchange.BufferBodyAsync());
        }

        await using var pool = new UpstreamPool(new UpstreamClients(new CredentialStore()), TimeProvider.System);
        var result = await new Http1Forwarder(pool).ForwardAsync(exchange, upstream.Key, null, new DropSplice(), null, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Outcome == ForwardOutcome.Relayed, $"buffered={buffered}: {result} / upstream: {(upstream.Failure is { } f ? f.Message : "ok")}");
        Assert.Equal("POST /p HTTP/1.1\r\nHost: svc\r\nContent-Length: 2\r\nx-added: 1\r\n\r\nab", await upstream.ReceivedAsync(63));
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", await ReadAsync(client, 39));
        Assert.Equal(2, exchange.RequestBytes);
        Assert.Equal(2, exchange.ResponseBytes);
    }

    private static async Task<(Http1Exchange, IDuplexPipe)> ExchangeAsync(string request)
    {
        var toProxy = new Pipe();
        var fromProxy = new Pipe();
        var connection = new DefaultConnectionContext("test", new DuplexPipe(toProxy.Reader, fromProxy.Writer), new DuplexPipe(fromProxy.Reader, toProxy.Writer));
        await toProxy.Writer.WriteAsync(Encoding.ASCII.GetBytes(request));
        var exchange = new Http1Exchange(connection);
        var read = await toProxy.Reader.ReadAsync();
        Assert.Equal(ParseStatus.Complete, Http1Parser.TryParseRequest(read.Buffer, exchange.Request, out var consumed, out _));
        toProxy.Reader.AdvanceTo(read.Buffer.GetPosition(consumed));
        exchange.Begin();
        return (exchange, connection.Application!);
    }

    private static async Task<string> ReadAsync(IDuplexPipe client, int length)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var read = await client.Input.ReadAsync(deadline.Token);
            if (read.Buffer.Length >= length || read.IsCompleted)
            {
                return Encoding.ASCII.GetString(System.Buffers.BuffersExtensions.ToArray(read.Buffer));
            }

            client.Input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    private sealed class DropSplice : HeaderSplice
    {
        public override bool Drops(ReadOnlySpan<byte> name) => name.SequenceEqual("x-drop"u8);

        public override void WriteAdded(PipeWriter to, Http1Exchange exchange) => WriteHeader(to, "x-added"u8, "1");
    }

    /// <summary>A one-connection upstream on 127.0.0.1 that records what it receives and answers with a fixed response.</summary>
    private sealed class ScriptedUpstream : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task<string> _received;

        public ScriptedUpstream(string response)
        {
            _listener.Start();
            _received = ServeAsync(response);
        }

        public UpstreamKey Key => new("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port, "");

        private async Task<string> ServeAsync(string response)
        {
            using var socket = await _listener.AcceptSocketAsync();
            var received = new StringBuilder();
            var buffer = new byte[4096];
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) || !received.ToString().EndsWith("ab", StringComparison.Ordinal))
            {
                int n;
                try
                {
                    n = await socket.ReceiveAsync(buffer, deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException("upstream received only: " + received);
                }

                if (n == 0)
                {
                    break;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }

            await socket.SendAsync(Encoding.ASCII.GetBytes(response));
            await Task.Delay(200);
            return received.ToString();
        }

        public Exception? Failure => _received.IsFaulted ? _received.Exception!.InnerException : null;

        public async Task<string> ReceivedAsync(int _) => await _received.WaitAsync(TimeSpan.FromSeconds(10));

        public void Dispose() => _listener.Stop();
    }
}
