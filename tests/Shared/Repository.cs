namespace Weft.Testing;

/// <summary>Finds files of this checkout (examples, conformance data) from a test's output directory.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Example(string name) => Path.Combine(Root, "examples", name);

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
