using Weft.Cli.Bench;

namespace Weft.Cli.Tests.Bench;

public sealed class BenchOptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/", 100, 16, 10_000, 0, 5_000, "Http11", false, null)]
    [InlineData("http://127.0.0.1:8080/ --rate 1000 --duration 30s", 1000, 16, 30_000, 0, 5_000, "Http11", false, null)]
    [InlineData("--rate 2.5 --duration 1m http://127.0.0.1:8080/x?y=1 -o json", 2.5, 16, 60_000, 0, 5_000, "Http11", true, null)]
    [InlineData("https://example.test/ --http 2 --connections 4 --warmup 5s --timeout 250ms", 100, 4, 10_000, 5_000, 250, "Http2", false, null)]
    [InlineData("http://payments/ --from checkout -n shop --warmup 0 --http 1.1", 100, 16, 10_000, 0, 5_000, "Http11", false, "checkout")]
    [InlineData("http://payments/ --from shop/checkout --output json --state-dir /tmp/x", 100, 16, 10_000, 0, 5_000, "Http11", true, "shop/checkout")]
    public void Accepts(string args, double rate, int connections, int durationMs, int warmupMs, int timeoutMs, string http, bool json, string? from)
    {
        var options = BenchOptions.Parse(Split(args));

        Assert.Equal(rate, options.Rate);
        Assert.Equal(connections, options.Connections);
        Assert.Equal(TimeSpan.FromMilliseconds(durationMs), options.Duration);
        Assert.Equal(TimeSpan.FromMilliseconds(warmupMs), options.Warmup);
        Assert.Equal(TimeSpan.FromMilliseconds(timeoutMs), options.Timeout);
        Assert.Equal(http, options.Http.ToString());
        Assert.Equal(json, options.Json);
        Assert.Equal(from, options.From);
    }

    [Theory]
    [InlineData("http://h/ --rate 0", "--rate: '0' is not a number of requests per second above 0")]
    [InlineData("http://h/ --rate -5", "--rate: '-5'")]
    [InlineData("http://h/ --rate fast", "--rate: 'fast'")]
    [InlineData("http://h/ --rate", "--rate needs a value")]
    [InlineData("http://h/ --duration 0s", "--duration: '0s' is not a duration")]
    [InlineData("http://h/ --duration ten", "--duration: 'ten' is not a duration")]
    [InlineData("http://h/ --warmup soon", "--warmup: 'soon' is not a duration")]
    [InlineData("http://h/ --timeout 0ms", "--timeout: '0ms' is not a duration")]
    [InlineData("http://h/ --connections 0", "--connections: '0' is not a whole number from 1 to 10000")]
    [InlineData("http://h/ --connections 1.5", "--connections: '1.5'")]
    [InlineData("http://h/ --http 3", "--http: '3' is not an HTTP version this sends (1.1 or 2)")]
    [InlineData("http://h/ -o yaml", "-o: 'yaml' is not an output format")]
    [InlineData("http://h/ --frobnicate 1", "unknown option --frobnicate")]
    [InlineData("--rate 10", "the URL to send to is missing")]
    [InlineData("ftp://h/", "URL: 'ftp://h/' is not an absolute http:// or https:// URL")]
    [InlineData("127.0.0.1:8080", "URL: '127.0.0.1:8080' is not an absolute")]
    [InlineData("/relative", "URL: '/relative' is not an absolute")]
    [InlineData("http://a/ http://b/", "one URL is sent to, got 2")]
    [InlineData("https://payments/ --from checkout", "--from sends as a meshed app does")]
    [InlineData("http://h/ -n shop", "-n names the namespace of the --from workload")]
    [InlineData("http://h/ --rate 0.01 --duration 10s", "--rate 0.01 for --duration 10s schedules no request")]
    public void Refuses_naming_the_option_and_the_reason(string args, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(Split(args)));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static string[] Split(string args) => args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
