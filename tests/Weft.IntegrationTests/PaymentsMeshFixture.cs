namespace Weft.IntegrationTests;

/// <summary>
/// A running mesh for the tests of one class: xunit starts it once per fixture type, so a class
/// that changes or breaks its mesh declares a fixture type of its own.
/// </summary>
public abstract class MeshFixture(string example) : IAsyncLifetime
{
    public MeshProcess Mesh { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Mesh = await MeshProcess.StartAsync(example);

    public virtual async Task DisposeAsync() => await Mesh.DisposeAsync();
}

/// <summary>The payments example, shared by the classes that only send traffic to it.</summary>
public sealed class PaymentsMeshFixture() : MeshFixture("payments");
