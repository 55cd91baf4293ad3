using Weft.Config.Loading;

namespace Weft.ControlPlane.Sources;

/// <summary>
/// Where the mesh's resources come from: a directory of manifests, or a cluster's API server.
/// </summary>
public interface IConfigSource : IDisposable
{
    /// <summary>What the status shows as the config's origin: a directory, or a cluster's address.</summary>
    string Description { get; }

    /// <summary>Raised after resources changed; handlers call <see cref="Load"/>.</summary>
    event Action? Changed;

    /// <summary>The resources as they are now, with the loader's diagnostics.</summary>
    LoadResult Load();

    void StartWatching();

    /// <summary>
    /// Resources refused one by one, each with its own errors, while the rest of the config is
    /// applied (a cluster keeps every object's last good version). Empty for a directory, which is
    /// applied or refused as a whole.
    /// </summary>
    IReadOnlyList<ConfigDiagnostic> Refused => [];
}
