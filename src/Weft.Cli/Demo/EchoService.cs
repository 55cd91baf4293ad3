using Grpc.Core;
using Weft.Cli.Demo.V1;

namespace Weft.Cli.Demo;

/// <summary>The demo app's gRPC service.</summary>
internal sealed class EchoService(DemoIdentity identity) : Echo.EchoBase
{
    public override Task<EchoReply> Say(EchoRequest request, ServerCallContext context)
    {
        FailIfAsked(request, context);
        return Task.FromResult(Reply(request, context, 0));
    }

    public override async Task Count(EchoRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        FailIfAsked(request, context);
        for (var i = 1; i <= request.Count; i++)
        {
            await responseStream.WriteAsync(Reply(request, context, i), context.CancellationToken);
        }
    }

    private static int Attempt(ServerCallContext context) => int.TryParse(context.RequestHeaders.GetValue("x-weft-attempt"), out var attempt) ? attempt : 1;

    private static void FailIfAsked(EchoRequest request, ServerCallContext context)
    {
        if (request.FailWithStatus != 0 && (request.FailAttempts == 0 || Attempt(context) <= request.FailAttempts))
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
        Attempt = Attempt(context),
    };
}

internal sealed record DemoIdentity(string Service, string Version, string Instance);
