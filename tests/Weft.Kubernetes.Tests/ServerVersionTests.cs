using System.Globalization;
using k8s;
using Weft.Kubernetes.Tests.Cluster;

namespace Weft.Kubernetes.Tests;

/// <summary>
/// Weft picks what to use by the server's version (EndpointSlice v1 or v1beta1, native sidecars or
/// regular containers), as Istio and Linkerd do: the cluster must report one that parses.
/// </summary>
public sealed class ServerVersionTests
{
    [KubernetesFact]
    public async Task ServerReportsItsMajorAndMinorVersion()
    {
        using var client = TestCluster.CreateClient();

        var version = await client.Version.GetCodeAsync();

        // Providers add a suffix to the minor version ("20+" on GKE and EKS).
        var major = int.Parse(version.Major, CultureInfo.InvariantCulture);
        var minor = int.Parse(version.Minor.TrimEnd('+'), CultureInfo.InvariantCulture);
        Assert.Equal(1, major);
        Assert.InRange(minor, 20, 99);
        Assert.StartsWith($"v{major}.{minor}.", version.GitVersion, StringComparison.Ordinal);
    }
}
