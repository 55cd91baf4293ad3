namespace Weft.IntegrationTests;

/// <summary>A running payments mesh for the tests of one class (xunit starts it once per class that uses it).</summary>
public class MeshFixture : IAsyncLifetime
{
    public MeshProcess Mesh { get; private set; } = null!;

    public async Task InitializeAsync() => Mesh = await MeshProcess.StartAsync();

    public async Task DisposeAsync() => await Mesh.DisposeAsync();
}

/// <summary>The mesh shared by the classes that only send traffic to it.</summary>
public sealed class PaymentsMeshFixture : MeshFixture;
