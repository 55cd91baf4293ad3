using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Mesh.Compilation;
using Weft.Mesh.Model;

namespace Weft.Mesh.Tests;

/// <summary>Compiles manifests the way the control plane does, with one running instance per Workload.</summary>
internal static class TestMesh
{
    public static CompileResult Compile(string yaml, string file = "test.yaml")
    {
        var loaded = ManifestLoader.Load(yaml, file);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        return MeshCompiler.Compile(Snapshot(loaded));
    }

    public static MeshSnapshot Snapshot(LoadResult loaded)
    {
        var port = 20000;
        var instances = loaded.Resources.OfType<Workload>().Select(w => new WorkloadInstance
        {
            Workload = w,
            Name = w.Name,
            Endpoints = w.Spec.Ports.ToDictionary(p => p.Port, _ => $"127.0.0.1:{++port}"),
            AppAddresses = w.Spec.Ports.ToDictionary(p => p.Port, _ => $"127.0.0.1:{++port}"),
        }).ToList();
        return new MeshSnapshot(loaded.Resources, instances, new MeshOptions());
    }
}
