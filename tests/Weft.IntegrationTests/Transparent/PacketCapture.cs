using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;

namespace Weft.IntegrationTests.Transparent;

/// <summary>tcpdump on an interface, written to a pcap file and read back as TCP segments with their payloads.</summary>
public sealed class PacketCapture : IAsyncDisposable
{
    private readonly Process _tcpdump;
    private readonly string _file;

    private PacketCapture(Process tcpdump, string file)
    {
        _tcpdump = tcpdump;
        _file = file;
    }

    public static async Task<PacketCapture> StartAsync(string interfaceName, string filter)
    {
        var file = Path.Combine(Path.GetTempPath(), $"weft-capture-{Guid.NewGuid():N}.pcap");
        var info = new ProcessStartInfo("tcpdump") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])["-i", interfaceName, "-U", "-n", "-s", "512", "-w", file, filter])
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        var listening = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult();
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(20));
        return new PacketCapture(process, file);
    }

    /// <summary>Stops the capture (tcpdump flushes on SIGINT) and returns every TCP segment that carried data.</summary>
    public async Task<IReadOnlyList<TcpSegment>> StopAsync()
    {
        Signals.Interrupt(_tcpdump.Id);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _tcpdump.WaitForExitAsync(timeout.Token);
        return Read(await File.ReadAllBytesAsync(_file));
    }

    /// <summary>Reads a classic pcap file of Ethernet frames (what tcpdump -w writes for a bridge).</summary>
    public static IReadOnlyList<TcpSegment> Read(ReadOnlySpan<byte> pcap)
    {
        var segments = new List<TcpSegment>();
        var littleEndian = BinaryPrimitives.ReadUInt32LittleEndian(pcap) is 0xa1b2c3d4 or 0xa1b23c4d;
        uint U32(ReadOnlySpan<byte> b) => littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
        if (U32(pcap[20..]) != 1)
        {
            throw new InvalidDataException("not an Ethernet capture");
        }

        var offset = 24;
        while (offset + 16 <= pcap.Length)
        {
            var captured = (int)U32(pcap[(offset + 8)..]);
            var frame = pcap.Slice(offset + 16, Math.Min(captured, pcap.Length - offset - 16));
            offset += 16 + captured;
            if (frame.Length < 34 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800)
            {
                continue;
            }

            var ip = frame[14..];
            var headerLength = (ip[0] & 0x0f) * 4;
            var totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
            if (ip[9] != 6 || ip.Length < headerLength + 20)
            {
                continue;
            }

            var tcp = ip[headerLength..];
            var tcpHeaderLength = (tcp[12] >> 4) * 4;
            var payloadLength = totalLength - headerLength - tcpHeaderLength;
            if (payloadLength <= 0)
            {
                continue;
            }

            var payload = tcp[Math.Min(tcpHeaderLength, tcp.Length)..];
            segments.Add(new TcpSegment(
                new IPEndPoint(new IPAddress(ip.Slice(12, 4)), BinaryPrimitives.ReadUInt16BigEndian(tcp)),
                new IPEndPoint(new IPAddress(ip.Slice(16, 4)), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..])),
                payload[..Math.Min(payload.Length, payloadLength)].ToArray()));
        }

        return segments;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_tcpdump.HasExited)
        {
            _tcpdump.Kill();
            await _tcpdump.WaitForExitAsync();
        }

        _tcpdump.Dispose();
        File.Delete(_file);
    }
}

/// <summary>One TCP segment with data: who sent it to whom, and the first bytes of what it carried.</summary>
public sealed record TcpSegment(IPEndPoint Source, IPEndPoint Destination, byte[] Payload);
