using Weft.Proxy.Admin;

namespace Weft.Proxy.Tests.Admin;

public sealed class RuntimeFactsTests
{
    [Theory]
    [InlineData("400000", true, 4L * 1024 * 1024)] // bare hex, the form both runtimes read
    [InlineData("400000", false, 4L * 1024 * 1024)]
    [InlineData("0x400000", true, 4L * 1024 * 1024)] // the JIT runtime also takes 0x...
    [InlineData("0x400000", false, null)] // ...NativeAOT ignores it without a word
    [InlineData("0X100000", true, 1L * 1024 * 1024)]
    [InlineData("ff", true, 255L)]
    [InlineData("0", true, null)] // 0 means "the runtime decides"
    [InlineData("", true, null)]
    [InlineData(null, true, null)]
    [InlineData("4MB", true, null)]
    [InlineData("-400000", true, null)]
    public void A_gc_size_setting_is_read_as_the_runtime_reads_it(string? text, bool prefixAllowed, long? bytes) =>
        Assert.Equal(bytes, RuntimeFacts.ParseHex(text, prefixAllowed));
}
