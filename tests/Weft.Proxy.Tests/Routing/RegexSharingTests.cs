using Weft.Proxy.Routing;

namespace Weft.Proxy.Tests.Routing;

public sealed class RegexSharingTests
{
    [Fact]
    public void A_config_push_reuses_the_regexes_it_already_compiled()
    {
        var first = CompiledStringMatch.CompileRegex("/orders/[0-9]+", "test");
        var again = CompiledStringMatch.CompileRegex("/orders/[0-9]+", "test");

        Assert.Same(first, again);
        Assert.Matches(first, "/orders/42");
        Assert.DoesNotMatch(first, "/orders/42/items"); // anchored: the whole value must match
    }

    [Fact]
    public void An_invalid_regex_is_refused_every_time_with_its_context()
    {
        for (var i = 0; i < 2; i++)
        {
            var error = Assert.Throws<ProxyConfigException>(() => CompiledStringMatch.CompileRegex("/orders/(", "route r match 0"));
            Assert.Contains("route r match 0: invalid regex '/orders/('", error.Message, StringComparison.Ordinal);
        }
    }
}
