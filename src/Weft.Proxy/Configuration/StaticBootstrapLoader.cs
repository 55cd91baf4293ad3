using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Weft.Protocol.V1;
using Weft.Proxy.Hosting;
using Weft.Proxy.Tls;

namespace Weft.Proxy.Configuration;

/// <summary>
/// Static mode: reads a proxy's config and certificate from files once, instead of from the
/// control plane's stream and CA. What it reads is checked as strictly as a pushed config: the
/// config must compile, and the certificate's SPIFFE ID must be the config's workload identity.
/// </summary>
internal static class StaticBootstrapLoader
{
    /// <exception cref="ArgumentException">A file is missing or unreadable, or config and certificate disagree.</exception>
    public static (ProxyConfig Config, MeshCredentials Credentials) Load(StaticBootstrap files)
    {
        var config = ReadConfig(files.ConfigFile);
        var credentials = ReadCredentials(files);
        var expected = config.Workload?.SpiffeId ?? "";
        if (expected.Length > 0 && expected != credentials.SpiffeId)
        {
            throw new ArgumentException($"the certificate in {files.CertificateFile} is {credentials.SpiffeId}, but the config in {files.ConfigFile} is for {expected}");
        }

        return (config, credentials);
    }

    public static ProxyConfig ReadConfig(string file)
    {
        try
        {
            return JsonParser.Default.Parse<ProxyConfig>(File.ReadAllText(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidJsonException or InvalidProtocolBufferException)
        {
            throw new ArgumentException($"--config {file}: {e.Message}", e);
        }
    }

    public static MeshCredentials ReadCredentials(StaticBootstrap files)
    {
        try
        {
            var leaf = X509Certificate2.CreateFromPemFile(files.CertificateFile, files.KeyFile);
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(files.TrustBundleFile);
            if (roots.Count == 0)
            {
                throw new ArgumentException($"--trust-bundle {files.TrustBundleFile} holds no certificate");
            }

            return MeshCredentials.Create(leaf, [.. roots]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"--cert {files.CertificateFile} / --key {files.KeyFile} / --trust-bundle {files.TrustBundleFile}: {e.Message}", e);
        }
    }
}
