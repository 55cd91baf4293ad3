using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Weft.ControlPlane.Certificates;
using Weft.Kubernetes.Api;

namespace Weft.Kubernetes.Identity;

/// <summary>
/// The CA's roots (key and certificate, and the next or previous root while one rotates) kept in
/// a Secret of the control plane's namespace, so a new control-plane pod signs with the same root
/// and every sidecar keeps trusting it. The CA works on files; the Secret is copied into its
/// directory at start, and each rotation step is copied back.
/// </summary>
public sealed partial class RootSecret(KubernetesConnection api, string @namespace, string name, ILogger logger)
{
    public const string DefaultName = "weft-root-ca";

    public string Namespace => @namespace;
    public string Name => name;

    private string Path => $"/api/v1/namespaces/{Uri.EscapeDataString(@namespace)}/secrets/{Uri.EscapeDataString(name)}";

    /// <summary>Writes the Secret's files into <paramref name="directory"/>; false when there is no Secret yet.</summary>
    public async Task<bool> RestoreAsync(string directory, CancellationToken cancellation)
    {
        JsonObject secret;
        try
        {
            secret = await api.GetAsync(Path, cancellation);
        }
        catch (KubernetesApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return false;
        }

        Directory.CreateDirectory(directory);
        foreach (var file in Directory.EnumerateFiles(directory, "*.pem"))
        {
            File.Delete(file); // the Secret is the truth: a root it no longer has must not linger
        }

        foreach (var (key, value) in secret["data"] as JsonObject ?? [])
        {
            if (value?.GetValue<string>() is not { } base64 || key.Contains('/', StringComparison.Ordinal) || key.StartsWith('.'))
            {
                continue;
            }

            var file = System.IO.Path.Combine(directory, key);
            if (!OperatingSystem.IsWindows())
            {
                // The root's key: only the control plane's user may read it, as the CA writes it.
                File.Create(file).Dispose();
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            await File.WriteAllBytesAsync(file, Convert.FromBase64String(base64), cancellation);
        }

        return true;
    }

    /// <summary>Creates or replaces the Secret with the CA directory's files.</summary>
    public async Task SaveAsync(string directory, CancellationToken cancellation)
    {
        var data = new JsonObject();
        foreach (var file in Directory.EnumerateFiles(directory, "*.pem").Order(StringComparer.Ordinal))
        {
            data[System.IO.Path.GetFileName(file)] = Convert.ToBase64String(Encoding.ASCII.GetBytes(await File.ReadAllTextAsync(file, cancellation)));
        }

        var secret = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = @namespace,
                ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "weft" },
            },
            ["type"] = "Opaque",
            ["data"] = data,
        };
        try
        {
            await api.SendAsync(HttpMethod.Put, Path, secret, cancellation);
        }
        catch (KubernetesApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            await api.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{Uri.EscapeDataString(@namespace)}/secrets", secret, cancellation);
        }
    }

    /// <summary>The CA of the Secret (made, and saved, when there is none), kept in step with it through every rotation.</summary>
    public async Task<CertificateAuthority> LoadAuthorityAsync(string directory, string trustDomain, TimeProvider time, CancellationToken cancellation)
    {
        var restored = await RestoreAsync(directory, cancellation);
        var authority = CertificateAuthority.LoadOrCreate(directory, trustDomain, time);
        if (!restored)
        {
            await SaveAsync(directory, cancellation);
        }

        var saving = new SemaphoreSlim(1, 1);
        authority.RootsChanged += () => _ = Task.Run(async () =>
        {
            await saving.WaitAsync(CancellationToken.None);
            try
            {
                await SaveAsync(directory, CancellationToken.None);
            }
            catch (Exception e) when (e is KubernetesApiException or HttpRequestException or IOException)
            {
                Log.NotSaved(logger, @namespace, name, e.Message);
            }
            finally
            {
                saving.Release();
            }
        });
        return authority;
    }

    private static partial class Log
    {
        [LoggerMessage(140, LogLevel.Error, "Could not save the CA roots to Secret {Namespace}/{Name}: {Error}; a restarted control plane would not have this rotation step")]
        public static partial void NotSaved(ILogger logger, string @namespace, string name, string error);
    }
}
