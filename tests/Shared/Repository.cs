namespace Weft.Testing;

/// <summary>Finds files of this checkout (examples, conformance data) from a test's output directory.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Example(string name) => Path.Combine(Root, "examples", name);

    /// <summary>A folder of the shared conformance material beside the checkout (../shared/conformance/NAME), or null when it is absent.</summary>
    public static string? Conformance(string name)
    {
        var folder = Path.GetFullPath(Path.Combine(Root, "..", "shared", "conformance", name));
        return Directory.Exists(folder) ? folder : null;
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Weft.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Weft.slnx) above " + AppContext.BaseDirectory);
    }
}
