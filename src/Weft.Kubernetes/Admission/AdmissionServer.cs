using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Weft.Kubernetes.Admission;

/// <summary>
/// The webhooks' HTTPS endpoint, which the API server calls: POST /validate with an AdmissionReview.
/// Its certificate is signed by the mesh's CA, whose root the webhook configuration's caBundle carries.
/// </summary>
public sealed class AdmissionServer : IAsyncDisposable
{
    public const string ValidatePath = "/validate";
    public const string InjectPath = "/inject";

    private readonly WebApplication _app;

    private AdmissionServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Serves validation, and injection with <paramref name="injection"/>'s settings when given.</summary>
    public static async Task<AdmissionServer> StartAsync(IPAddress address, int port, X509Certificate2 certificate, ILoggerFactory loggerFactory, CancellationToken cancellation, Injection.InjectionSettings? injection = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        app.MapPost(ValidatePath, async (HttpContext context) =>
        {
            var review = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject;
            if (review is null)
            {
                return Results.BadRequest(new { error = "the body must be an AdmissionReview" });
            }

            return Results.Text(ValidatingAdmission.Review(review).ToJsonString(), "application/json");
        });
        if (injection is not null)
        {
            app.MapPost(InjectPath, async (HttpContext context) =>
                await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) is JsonObject review
                    ? Results.Text(Injection.SidecarInjector.Review(review, injection).ToJsonString(), "application/json")
                    : Results.BadRequest(new { error = "the body must be an AdmissionReview" }));
        }
        await app.StartAsync(cancellation);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new AdmissionServer(app, new Uri(bound).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
