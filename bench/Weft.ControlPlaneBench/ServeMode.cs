using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Weft.Config.Model;
using Weft.ControlPlane.Hosting;
using Weft.Mesh.Model;

namespace Weft.ControlPlaneBench;

/// <summary>
/// The child process: the real control plane (ControlPlaneHost, as `weft up` runs it) over a
/// manifest directory, with every Workload registered in its registry the way the local runtime
/// registers instances. Tells the parent where it listens and each instance's bootstrap token
/// through a JSON file, then serves until its standard input closes.
/// </summary>
internal static class ServeMode
{
    public static async Task<int> RunAsync(string configDirectory, string stateDirectory, string readyFile)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var (host, initial) = await ControlPlaneHost.StartAsync(new ControlPlaneOptions { ConfigDirectory = configDirectory, StateDirectory = stateDirectory },
            loggerFactory, CancellationToken.None);
        if (host is null)
        {
            Console.Error.WriteLine(string.Join("\n", initial.Diagnostics));
            return 1;
        }

        await using (host)
        {
            var workloads = initial.Resources.OfType<Workload>().ToList();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var tokens = new Dictionary<string, string>();
            var port = 40000;
            using var batch = host.Registry.Batch();
            foreach (var workload in workloads)
            {
                var addresses = workload.Spec.Ports.ToDictionary(p => p.Port, _ => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port++}"));
                tokens[workload.Name] = host.Registry.Register(new WorkloadInstance
                {
                    Workload = workload,
                    Name = workload.Name,
                    Endpoints = addresses,
                    AppAddresses = addresses,
                });
            }

            batch.Dispose(); // one compile for all of them
            var registration = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var ready = new ReadyFile(host.DiscoveryAddress, host.Authority.RootPem, tokens, registration.TotalMilliseconds, host.State.Current?.Version ?? 0);
            await File.WriteAllTextAsync(readyFile + ".tmp", JsonSerializer.Serialize(ready));
            File.Move(readyFile + ".tmp", readyFile);

            // Serve until the parent closes our standard input (or dies).
            await Console.In.ReadToEndAsync();
        }

        return 0;
    }
}

internal sealed record ReadyFile(string DiscoveryAddress, string RootPem, Dictionary<string, string> Tokens, double RegistrationMs, long Version);
