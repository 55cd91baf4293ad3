using Weft.Cli.Commands;

namespace Weft.IntegrationTests;

/// <summary>When `weft check` calls a certificate unhealthy: under a tenth of its lifetime left (it should have renewed at half).</summary>
public sealed class CheckFindingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(24.0, 12.0, true)] // just renewed at half-life
    [InlineData(24.0, 2.5, true)]
    [InlineData(24.0, 2.3, false)] // under 10% of 24 h: renewal is failing
    [InlineData(0.01, 0.0005, false)] // 36 s certificates with 1.8 s left
    [InlineData(0.01, 0.005, true)]
    public void A_certificate_is_healthy_while_a_tenth_of_its_life_is_left(double lifetimeHours, double leftHours, bool healthy)
    {
        var expiry = Now + TimeSpan.FromHours(leftHours);
        var issued = expiry - TimeSpan.FromHours(lifetimeHours);

        var finding = CheckCommand.CertificateFinding("shop/checkout", "spiffe://cluster.local/ns/shop/sa/checkout", "3", issued, expiry, Now);

        Assert.Equal(healthy, finding.Ok);
        Assert.Contains("valid until", finding.Message, StringComparison.Ordinal);
    }
}
