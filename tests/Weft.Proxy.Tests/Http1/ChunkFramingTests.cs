using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Weft.Proxy.Http1;

namespace Weft.Proxy.Tests.Http1;

/// <summary>Chunked bodies as the engine relays them: re-framed, extensions dropped, trailers kept, malformed framing refused.</summary>
public sealed class ChunkFramingTests
{
    [Theory]
    [InlineData("5", 5L)]
    [InlineData("00000A", 10L)]
    [InlineData("ff;name=value", 255L)]
    [InlineData("1 ; a=\"b c\"", 1L)]
    [InlineData("7fffffffffffffff", long.MaxValue)]
    public void Reads_chunk_sizes(string line, long size)
    {
        Assert.True(ChunkFraming.TryParseSize(Encoding.ASCII.GetBytes(line), out var parsed, out _));
        Assert.Equal(size, parsed);
    }

    [Theory]
    [InlineData("", "hex size")]
    [InlineData("x", "hex size")]
    [InlineData("-1", "hex size")]
    [InlineData("80000000000000000", "overflows")]
    [InlineData("ffffffffffffffffffff", "overflows")]
    [InlineData("5x", "extension")]
    [InlineData("5;a\u0001", "extension")]
    public void Refuses_malformed_chunk_sizes(string line, string detail)
    {
        Assert.False(ChunkFraming.TryParseSize(Encoding.Latin1.GetBytes(line), out _, out var error));
        Assert.Contains(detail, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Re_frames_chunks_drops_extensions_and_keeps_trailers()
    {
        var (copied, output) = await CopyAsync("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\nNEXT");

        Assert.Equal(11, copied);
        Assert.Equal("5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n", output);
    }

    [Theory]
    [InlineData("5\r\nhel", "closed")]
    [InlineData("5\r\nhelloXX0\r\n\r\n", "CRLF")]
    [InlineData("5\nhello\r\n0\r\n\r\n", "bare LF")]
    [InlineData("zz\r\n", "hex size")]
    [InlineData("0\r\nBad Trailer\r\n\r\n", "trailer")]
    [InlineData("0\r\nX: 1\r\n", "closed")]
    public async Task Refuses_broken_framing_as_the_sender_s_failure(string body, string detail)
    {
        var e = await Assert.ThrowsAsync<BodyCopyException>(() => CopyAsync(body));
        Assert.True(e.SourceFailed);
        Assert.Contains(detail, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_content_length_body_cut_short_is_the_sender_s_failure()
    {
        var from = new Pipe();
        await from.Writer.WriteAsync("abc"u8.ToArray());
        await from.Writer.CompleteAsync();
        var to = new Pipe();

        var e = await Assert.ThrowsAsync<BodyCopyException>(async () => await BodyCopier.CopyContentLengthAsync(from.Reader, to.Writer, 10, CancellationToken.None));
        Assert.True(e.SourceFailed);
    }

    private static async Task<(long Copied, string Output)> CopyAsync(string body)
    {
        var from = new Pipe();
        await from.Writer.WriteAsync(Encoding.Latin1.GetBytes(body));
        await from.Writer.CompleteAsync();
        var to = new Pipe();
        var copied = await BodyCopier.CopyChunkedAsync(from.Reader, to.Writer, CancellationToken.None);
        await to.Writer.CompleteAsync();
        var read = await to.Reader.ReadAsync();
        while (!read.IsCompleted)
        {
            to.Reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            read = await to.Reader.ReadAsync();
        }

        return (copied, Encoding.Latin1.GetString(read.Buffer.ToArray()));
    }
}
