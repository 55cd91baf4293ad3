namespace Weft.Cli.Local.Transparent;

/// <summary>What `weft up --transparent` needs from the host, checked before anything is made.</summary>
internal static class TransparentPrerequisites
{
    private static readonly (string Program, string Package)[] Tools =
    [
        ("ip", "iproute2"),
        ("iptables", "iptables"),
        ("iptables-restore", "iptables"),
        ("iptables-save", "iptables"),
        ("setpriv", "util-linux"),
    ];

    /// <summary>Null when the host can run a transparent mesh; otherwise what is missing, and how to get it.</summary>
    public static string? Missing()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "transparent mode needs Linux (network namespaces and iptables)";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "transparent mode needs root: it creates network namespaces, a bridge and iptables rules";
        }

        var missing = Tools.Where(t => HostCommand.Find(t.Program) is null).ToList();
        return missing.Count == 0
            ? null
            : $"missing {string.Join(", ", missing.Select(t => t.Program))} (Debian: apt-get install {string.Join(' ', missing.Select(t => t.Package).Distinct())})";
    }
}
