using Weft.Proxy.Forwarding;

namespace Weft.Proxy.Tests.Forwarding;

public sealed class ReplayableRequestBodyTests
{
    [Theory]
    [InlineData(10, 3)]
    [InlineData(4096, 100)]
    [InlineData(65536, 1000)]
    public async Task A_body_within_the_limit_is_replayed_byte_for_byte(int size, int readSize)
    {
        var original = Enumerable.Range(0, size).Select(i => (byte)i).ToArray();
        using var body = new ReplayableRequestBody(new MemoryStream(original), 64 * 1024);

        var first = await ReadAllAsync(body, readSize);
        body.Rewind();
        var second = await ReadAllAsync(body, readSize);

        Assert.Equal(original, first);
        Assert.Equal(original, second);
        Assert.True(body.CanReplay);
    }

    [Fact]
    public async Task A_retry_after_a_partial_read_replays_what_was_sent_then_continues()
    {
        var original = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        using var body = new ReplayableRequestBody(new MemoryStream(original), 64 * 1024);
        var buffer = new byte[300];
        _ = await body.ReadAsync(buffer); // the first attempt got 300 bytes before failing

        body.Rewind();

        Assert.Equal(original, await ReadAllAsync(body, 128));
    }

    [Fact]
    public async Task A_body_over_the_limit_cannot_be_replayed()
    {
        using var body = new ReplayableRequestBody(new MemoryStream(new byte[70_000]), 64 * 1024);

        await ReadAllAsync(body, 8192);

        Assert.False(body.CanReplay);
        Assert.Throws<InvalidOperationException>(body.Rewind);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, int readSize)
    {
        var output = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }
}
