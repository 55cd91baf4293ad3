namespace Weft.IntegrationTests.Transparent;

/// <summary>
/// The transparent meshes (a dozen pods, each a sidecar and an app) run by themselves, after the
/// parallel classes: started alongside them they would load the machine enough to push the other
/// meshes' 1 s per-try timeouts over the edge.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TransparentCollection
{
    public const string Name = "transparent meshes";
}
