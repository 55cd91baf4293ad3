using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Weft.Proxy.Http1;

// Fuzzes Weft's HTTP/1.1 engine (bench/README.md, "Fuzzing the HTTP/1.1 engine").
//   parser [count] [seed]            random and mutated heads through Http1Parser (whole and in random
//                                    segments: both must agree) and mutated chunked bodies through BodyCopier;
//                                    any exception but the documented refusals, or a broken invariant, is a finding
//   path HOST:PORT AUTHORITY [count] [seed]
//                                    the same requests over TCP to a running sidecar's outbound port: every
//                                    answer must be a well-formed response or a close, and a valid request must
//                                    still be served after every 1000
var mode = args.Length > 0 ? args[0] : "parser";
return mode switch
{
    "parser" => Parser(args.Length > 1 ? long.Parse(args[1]) : 1_000_000, args.Length > 2 ? int.Parse(args[2]) : 1),
    "path" => await PathAsync(IPEndPoint.Parse(args[1]), args[2], args.Length > 3 ? long.Parse(args[3]) : 100_000, args.Length > 4 ? int.Parse(args[4]) : 1),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Weft.Http1Fuzz parser [count] [seed] | path HOST:PORT AUTHORITY [count] [seed]");
    return 2;
}

static int Parser(long count, int seed)
{
    var random = new Random(seed);
    var mutator = new Mutator(random, "payments.default");
    var stopwatch = Stopwatch.StartNew();
    long complete = 0, invalid = 0, incomplete = 0, chunkedOk = 0, chunkedRefused = 0, findings = 0;
    var byStatus = new SortedDictionary<int, long>();
    var whole = new RequestHead();
    var pieces = new RequestHead();
    for (long i = 0; i < count; i++)
    {
        var input = mutator.Next();
        try
        {
            var a = Http1Parser.TryParseRequest(new ReadOnlySequence<byte>(input), whole, out var consumedA, out var errorA);
            var b = Http1Parser.TryParseRequest(Segments.Split(input, random), pieces, out var consumedB, out var errorB);
            if (a != b || consumedA != consumedB || errorA.Status != errorB.Status)
            {
                findings += Report(input, $"whole and segmented parses differ: {a}/{consumedA}/{errorA.Status} vs {b}/{consumedB}/{errorB.Status}");
            }

            switch (a)
            {
                case ParseStatus.Complete:
                    complete++;
                    if (Invariants.Broken(whole, input, consumedA) is { } broken)
                    {
                        findings += Report(input, broken);
                    }

                    break;
                case ParseStatus.Invalid:
                    invalid++;
                    byStatus[errorA.Status] = byStatus.GetValueOrDefault(errorA.Status) + 1;
                    if (errorA.Status is not (400 or 414 or 431 or 501 or 505))
                    {
                        findings += Report(input, $"refused with status {errorA.Status}");
                    }

                    break;
                default:
                    incomplete++;
                    if (input.Length > Http1Limits.MaxHead + 4)
                    {
                        findings += Report(input, "incomplete beyond the head limit");
                    }

                    break;
            }

            // One in four: the bytes after the head as a chunked body.
            if ((i & 3) == 0)
            {
                var body = mutator.ChunkedBody();
                if (CopyChunked(body)) { chunkedOk++; } else { chunkedRefused++; }
            }
        }
        catch (Exception e)
        {
            findings += Report(input, $"{e.GetType().Name}: {e.Message}");
        }
    }

    Console.WriteLine($"{count:N0} heads in {stopwatch.Elapsed.TotalSeconds:F1} s (seed {seed}): {complete:N0} parsed, {invalid:N0} refused " +
        $"({string.Join(", ", byStatus.Select(p => $"{p.Key}: {p.Value:N0}"))}), {incomplete:N0} incomplete; " +
        $"{chunkedOk + chunkedRefused:N0} chunked bodies: {chunkedOk:N0} relayed, {chunkedRefused:N0} refused; findings: {findings}");
    return findings == 0 ? 0 : 1;
}

static bool CopyChunked(byte[] body)
{
    var from = new Pipe();
    from.Writer.Write(body);
    from.Writer.Complete();
    var to = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
    try
    {
        BodyCopier.CopyChunkedAsync(from.Reader, to.Writer, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return true;
    }
    catch (BodyCopyException e) when (e.SourceFailed)
    {
        return false;
    }
}

static int Report(byte[] input, string what)
{
    Console.WriteLine($"FINDING: {what}: {Convert.ToBase64String(input.AsSpan(0, Math.Min(input.Length, 2048)))}");
    return 1;
}

static async Task<int> PathAsync(IPEndPoint target, string authority, long count, int seed)
{
    var random = new Random(seed);
    var mutator = new Mutator(random, authority);
    var stopwatch = Stopwatch.StartNew();
    long answered = 0, closed = 0, findings = 0;
    var byStatus = new SortedDictionary<int, long>();
    var buffer = new byte[64 * 1024];
    for (long i = 0; i < count; i++)
    {
        var input = mutator.Next();
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
        {
            await socket.ConnectAsync(target);
            try
            {
                await socket.SendAsync(input);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                closed++; // refused mid-send: the proxy closed first
                continue;
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var received = 0;
            try
            {
                int n;
                while ((n = await socket.ReceiveAsync(buffer.AsMemory(received), deadline.Token)) > 0 && received < 1024)
                {
                    received += n;
                }
            }
            catch (SocketException)
            {
            }
            catch (OperationCanceledException)
            {
                findings += Report(input, "no answer and no close within 10 s");
                continue;
            }

            if (received == 0)
            {
                closed++;
            }
            else if (received >= 12 && buffer.AsSpan(0, 9).SequenceEqual("HTTP/1.1 "u8) && int.TryParse(Encoding.ASCII.GetString(buffer, 9, 3), out var status))
            {
                answered++;
                byStatus[status] = byStatus.GetValueOrDefault(status) + 1;
            }
            else
            {
                findings += Report(input, $"answer is not an HTTP/1.1 response: {Encoding.Latin1.GetString(buffer, 0, Math.Min(received, 80))}");
            }
        }

        if (i % 1000 == 999 && !await StillServesAsync(target, authority))
        {
            findings += Report([], $"after {i + 1} requests a valid request is no longer served");
            break;
        }
    }

    Console.WriteLine($"{count:N0} requests to {target} in {stopwatch.Elapsed.TotalSeconds:F1} s (seed {seed}): {answered:N0} answered " +
        $"({string.Join(", ", byStatus.Select(p => $"{p.Key}: {p.Value:N0}"))}), {closed:N0} closed without an answer; findings: {findings}");
    return findings == 0 ? 0 : 1;
}

static async Task<bool> StillServesAsync(IPEndPoint target, string authority)
{
    using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = async (_, c) =>
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(target, c);
        return new NetworkStream(s, ownsSocket: true);
    } }) { Timeout = TimeSpan.FromSeconds(10) };
    using var response = await client.GetAsync($"http://{authority}/fuzz-check");
    return (int)response.StatusCode < 500;
}

/// <summary>Valid requests of many shapes, then mutated: bytes flipped, framing characters inserted, lines repeated or cut.</summary>
internal sealed class Mutator(Random random, string authority)
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH"];
    private static readonly byte[] Interesting = "\r\n \t:;,\0\u007f\u00ff0123456789abcdefABCDEF-/?#%@\"="u8.ToArray();
    private static readonly string[] Headers =
    [
        "Content-Length: 5", "Content-Length: 0", "Content-Length: 18446744073709551616", "Transfer-Encoding: chunked",
        "Transfer-Encoding: chunked, identity", "Connection: close", "Connection: keep-alive, Upgrade", "Upgrade: websocket",
        "Expect: 100-continue", "x-weft-peer: forged", "Accept: */*", "User-Agent: fuzz", "X-Forwarded-For: 10.0.0.1",
        "Cookie: a=b; c=d", "Host: other", "te: trailers", "x-empty:", "X-Long: " + new string('v', 300),
    ];

    public byte[] Next()
    {
        var valid = Valid();
        return random.Next(10) switch
        {
            0 => valid,
            1 => RandomBytes(),
            _ => Mutate(valid, 1 + random.Next(4)),
        };
    }

    public byte[] ChunkedBody()
    {
        var text = new StringBuilder();
        for (var i = random.Next(4); i >= 0; i--)
        {
            var size = random.Next(40);
            text.Append(size.ToString("x")).Append(random.Next(4) == 0 ? ";ext=v" : "").Append("\r\n").Append('d', size).Append("\r\n");
        }

        text.Append("0\r\n").Append(random.Next(3) == 0 ? "X-Trailer: t\r\n" : "").Append("\r\n");
        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        return random.Next(3) == 0 ? bytes : Mutate(bytes, 1 + random.Next(3));
    }

    private byte[] Valid()
    {
        var text = new StringBuilder();
        var method = Methods[random.Next(Methods.Length)];
        var path = "/" + string.Join('/', Enumerable.Range(0, random.Next(4)).Select(_ => "seg" + random.Next(100)));
        text.Append(method).Append(' ').Append(random.Next(2) == 0 ? $"http://{authority}{path}" : path)
            .Append(random.Next(3) == 0 ? "?q=1&r=two" : "").Append(" HTTP/1.1\r\n").Append("Host: ").Append(authority).Append("\r\n");
        for (var i = random.Next(6); i > 0; i--)
        {
            text.Append(Headers[random.Next(Headers.Length)]).Append("\r\n");
        }

        text.Append("\r\n");
        if (random.Next(3) == 0)
        {
            text.Append("5\r\nhello\r\n0\r\n\r\n");
        }

        return Encoding.Latin1.GetBytes(text.ToString());
    }

    private byte[] RandomBytes()
    {
        var bytes = new byte[random.Next(1, 200)];
        random.NextBytes(bytes);
        return bytes;
    }

    private byte[] Mutate(byte[] input, int times)
    {
        var bytes = new List<byte>(input);
        for (var t = 0; t < times && bytes.Count > 0; t++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.Insert(at, Interesting[random.Next(Interesting.Length)]); break;
                case 2: bytes.RemoveAt(at); break;
                case 3: bytes[at] = Interesting[random.Next(Interesting.Length)]; break;
                case 4:
                    var length = Math.Min(bytes.Count - at, random.Next(1, 40));
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                default:
                    bytes.InsertRange(at, Encoding.Latin1.GetBytes(Headers[random.Next(Headers.Length)] + "\r\n"));
                    break;
            }
        }

        return bytes.ToArray();
    }
}

/// <summary>What must hold of every head the parser accepts.</summary>
internal static class Invariants
{
    public static string? Broken(RequestHead head, byte[] input, long consumed)
    {
        if (consumed > input.Length || head.Length > consumed)
        {
            return "consumed more than the input";
        }

        if (head.IsChunked && head.ContentLength >= 0)
        {
            return "accepted both Content-Length and chunked";
        }

        if (head.MinorVersion == 1 && head.HostIndex < 0)
        {
            return "accepted HTTP/1.1 without Host";
        }

        if (!Http1Parser.IsToken(Encoding.ASCII.GetBytes(head.Method)))
        {
            return "accepted a method that is not a token";
        }

        for (var i = 0; i < head.HeaderCount; i++)
        {
            if (!Http1Parser.IsToken(head.Name(i)) || !Http1Parser.IsFieldValue(head.Value(i)))
            {
                return $"accepted header {i} with a bad name or value";
            }
        }

        if (head.PathAndQuery.IndexOfAny((byte)' ', (byte)'\r', (byte)'\n') >= 0 || (head.PathAndQueryLength > 0 && head.PathAndQuery[0] is not ((byte)'/' or (byte)'*' or (byte)'?')))
        {
            return "accepted a target that would not be forwarded as origin-form (the forwarder adds / before an empty path or a bare query)";
        }

        return null;
    }
}

internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, Segments? previous)
    {
        Memory = memory;
        if (previous is not null)
        {
            RunningIndex = previous.RunningIndex + previous.Memory.Length;
            previous.Next = this;
        }
    }

    /// <summary>The bytes as a pipe might hand them over: in random pieces.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, Random random)
    {
        Segments? first = null, last = null;
        for (var i = 0; i < bytes.Length;)
        {
            var size = Math.Min(bytes.Length - i, 1 + random.Next(64));
            last = new Segments(bytes.AsMemory(i, size), last);
            first ??= last;
            i += size;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }
}
