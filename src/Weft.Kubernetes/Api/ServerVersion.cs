using System.Globalization;
using System.Text.RegularExpressions;

namespace Weft.Kubernetes.Api;

/// <summary>What the API server's version (/version's major and minor) says about the features Weft picks between. Pure.</summary>
public sealed partial record ServerVersion(int Major, int Minor)
{
    /// <summary>A server that does not say its version (a build without version stamps): treated as the oldest.</summary>
    public bool Unknown => Major == 0;

    /// <summary>Native sidecars (initContainers[].restartPolicy: Always) are on by default from 1.29; older servers drop the field.</summary>
    public bool NativeSidecars => Major > 1 || Major == 1 && Minor >= 29;

    /// <summary>discovery.k8s.io/v1 EndpointSlices are served from 1.21; 1.20 has v1beta1 only.</summary>
    public bool EndpointSlicesV1 => Major > 1 || Major == 1 && Minor >= 21;

    public override string ToString() => Unknown ? "unknown" : $"{Major}.{Minor}";

    /// <summary>
    /// Reads /version: major and minor ("1", "20+" on some providers), else gitVersion (v1.20.2);
    /// a server that states neither (v0.0.0-master) is <see cref="Unknown"/>.
    /// </summary>
    public static ServerVersion Parse(string? major, string? minor, string? gitVersion = null)
    {
        var majorDigits = Digits().Match(major ?? "");
        var minorDigits = Digits().Match(minor ?? "");
        if (majorDigits.Success && minorDigits.Success)
        {
            return new(int.Parse(majorDigits.Value, CultureInfo.InvariantCulture), int.Parse(minorDigits.Value, CultureInfo.InvariantCulture));
        }

        var git = GitVersion().Match(gitVersion ?? "");
        return git.Success
            ? new(int.Parse(git.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(git.Groups[2].Value, CultureInfo.InvariantCulture))
            : new(0, 0);
    }

    public static async Task<ServerVersion> GetAsync(KubernetesConnection api, CancellationToken cancellation)
    {
        var version = await api.GetAsync("/version", cancellation);
        return Parse(version["major"]?.GetValue<string>(), version["minor"]?.GetValue<string>(), version["gitVersion"]?.GetValue<string>());
    }

    [GeneratedRegex("^[0-9]+")]
    private static partial Regex Digits();

    [GeneratedRegex("^v([0-9]+)\\.([0-9]+)\\.")]
    private static partial Regex GitVersion();
}
