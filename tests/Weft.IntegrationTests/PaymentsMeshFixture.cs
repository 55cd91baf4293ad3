namespace Weft.IntegrationTests;

/// <summary>One payments mesh shared by the tests of a class that only send traffic to it.</summary>
public sealed class PaymentsMeshFixture : IAsyncLifetime
{
    public MeshProcess Mesh { get; private set; } = null!;

    public async Task InitializeAsync() => Mesh = await MeshProcess.StartAsync();

    public async Task DisposeAsync() => await Mesh.DisposeAsync();
}
