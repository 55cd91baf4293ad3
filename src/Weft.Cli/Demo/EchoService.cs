using Grpc.Core;
using Weft.Cli.Demo.V1;

namespace Weft.Cli.Demo;

/// <summary>The demo app's gRPC service.</summary>
internal sealed class EchoService(DemoIdentity identity) : Echo.EchoBase
{
    public override Task<EchoReply> Say(EchoRequest request, ServerCallContext context)
    {
        FailIfAsked(request);
        return Task.FromResult(Reply(request, context, 0));
    }

    public override async Task Count(EchoRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        FailIfAsked(request);
        for (var i = 1; i <= request.Count; i++)
        {
            await responseStream.WriteAsync(Reply(request, context, i), context.CancellationToken);
        }
    }

    private static void FailIfAsked(EchoRequest request)
    {
        if (request.FailWithStatus != 0)
        {
            throw new RpcException(new Status((StatusCode)request.FailWithStatus, "failing as asked"));
        }
    }

    private EchoReply Reply(EchoRequest request, ServerCallContext context, int sequence) => new()
    {
        Message = request.Message,
        Service = identity.Service,
        Version = identity.Version,
        Instance = identity.Instance,
        Sequence = sequence,
        Caller = context.RequestHeaders.GetValue("x-forwarded-client-cert") ?? "",
    };
}

internal sealed record DemoIdentity(string Service, string Version, string Instance);
