using System.Globalization;
using Weft.Cli.Local.Probes;
using Weft.Config.Model;
using Weft.ControlPlane.Registry;

namespace Weft.Cli.Local.Supervision;

/// <summary>How to start an instance's processes and where its probes go.</summary>
internal sealed record SupervisedInstance(
    string Key,
    Workload Workload,
    Func<ChildProcess> StartApp,
    Func<ChildProcess>? StartSidecar,
    string? AdminEndpoint,
    ProbeTarget ProbeTarget);

/// <summary>
/// What the kubelet does for one pod: keeps its app and its sidecar running by the workload's
/// restartPolicy with crash back-off, runs its startup, liveness and readiness probes, and tells
/// the registry whether the instance may take traffic — only while the app runs, has started and
/// is ready, and its sidecar is up and ready — so a dead or unready replica is withdrawn from
/// every proxy's endpoints at once. Stopping withdraws it first, then stops the app, then the sidecar.
/// </summary>
internal sealed class InstanceSupervisor : IAsyncDisposable
{
    private static readonly HttpClient Admin = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(1) };

    private readonly SupervisedInstance _instance;
    private readonly LocalRegistry _registry;
    private readonly InstanceRuntime _runtime;
    private readonly TimeProvider _time;
    private readonly Action<string>? _report;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly CrashBackOff _appBackOff = new();
    private readonly CrashBackOff _sidecarBackOff = new();
    private readonly TaskCompletionSource _appFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ChildProcess? _app;
    private ChildProcess? _sidecar;
    private Task _appLoop = Task.CompletedTask;
    private Task _sidecarLoop = Task.CompletedTask;

    // What decides readiness; guarded by _gate.
    private bool _appRunning;
    private bool _started;
    private bool _appReady;
    private bool _sidecarReady;
    private bool _terminating;
    private string? _probeFailure;

    public InstanceSupervisor(SupervisedInstance instance, LocalRegistry registry, TimeProvider time, Action<string>? report)
    {
        _instance = instance;
        _registry = registry;
        _runtime = registry.Runtime(instance.Key);
        _time = time;
        _report = report;
    }

    public string Key => _instance.Key;
    public Workload Workload => _instance.Workload;

    /// <summary>Starts the sidecar first (the app's outbound calls need it), then the app.</summary>
    public void Start()
    {
        if (_instance.StartSidecar is not null)
        {
            _sidecarLoop = Task.Run(() => SuperviseAsync("sidecar", SidecarLoopAsync));
        }

        _appLoop = Task.Run(() => SuperviseAsync("application", AppLoopAsync));
    }

    /// <summary>A defect in supervision is reported, not lost in a task nobody awaits until the mesh stops.</summary>
    private async Task SuperviseAsync(string what, Func<Task> loop)
    {
        try
        {
            await loop();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _report?.Invoke($"{Key}: supervising its {what} failed, it is no longer restarted: {e}");
        }
    }

    private WorkloadSpec Spec => _instance.Workload.Spec;

    private async Task AppLoopAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            var startedAt = _time.GetUtcNow();
            ChildProcess app;
            try
            {
                app = _instance.StartApp();
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                // As the kubelet's StartError: counted and backed off like a crash.
                _report?.Invoke($"{Key}: the application could not start: {e.Message}");
                if (!await AfterExitAsync(startedAt, exitCode: 128, killedByProbe: false, stopping))
                {
                    return;
                }

                continue;
            }

            lock (_gate)
            {
                _app = app;
                _appRunning = true;
                _started = Spec.StartupProbe is null;
                _appReady = Spec.ReadinessProbe is null;
                _probeFailure = null;
                _runtime.AppPid = app.Pid;
                _runtime.AppRunning = true;
                _runtime.AppExitCode = null;
                _runtime.Phase = InstancePhases.Running;
                _runtime.Reason = null;
            }

            UpdateReadiness();
            using var life = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var probeKill = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var probes = RunProbesAsync(probeKill, life.Token);
            var exited = app.Exited;
            var first = await Task.WhenAny(exited, probeKill.Task, Task.Delay(Timeout.Infinite, stopping).ContinueWith(_ => { }, TaskScheduler.Default));
            var killedByProbe = first == probeKill.Task;
            if (killedByProbe)
            {
                _report?.Invoke($"{Key}: {probeKill.Task.Result}; stopping the application");
                await app.StopAsync(TimeSpan.FromSeconds(5));
            }

            await life.CancelAsync();
            await probes;
            if (stopping.IsCancellationRequested && !app.HasExited)
            {
                return; // StopAsync stops it, after the endpoint is withdrawn
            }

            var exitCode = app.ExitCode ?? -1;
            lock (_gate)
            {
                _appRunning = false;
                _runtime.AppRunning = false;
                _runtime.AppExitCode = exitCode;
                _runtime.LastExitCode = exitCode;
                _runtime.LastExitAt = _time.GetUtcNow();
            }

            UpdateReadiness();
            lock (_gate)
            {
                _app = null;
            }

            await app.DisposeAsync();
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            if (!await AfterExitAsync(startedAt, exitCode, killedByProbe, stopping))
            {
                return;
            }
        }
    }

    /// <summary>After the app stopped: either waits out the back-off and returns true (start it again), or records why not.</summary>
    private async Task<bool> AfterExitAsync(DateTimeOffset startedAt, int exitCode, bool killedByProbe, CancellationToken stopping)
    {
        var code = exitCode.ToString(CultureInfo.InvariantCulture);
        if (!RestartRule.ShouldRestart(Spec.RestartPolicy, exitCode, killedByProbe))
        {
            var phase = RestartRule.FinalPhase(exitCode, killedByProbe);
            lock (_gate)
            {
                _runtime.Phase = phase;
                _runtime.Reason = null;
            }

            // The pod is done when its app is (a Job, or restartPolicy Never): the sidecar drains and ends with it.
            _appFinished.TrySetResult();
            if (_sidecar is { } sidecar)
            {
                await _sidecarLoop.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
                await sidecar.StopAsync(TimeSpan.FromSeconds(10));
                lock (_gate)
                {
                    _runtime.SidecarRunning = false;
                    _runtime.SidecarExitCode = sidecar.ExitCode;
                }
            }

            _report?.Invoke($"{Key}: the application exited with code {code} ({phase}; restartPolicy {Spec.RestartPolicy})"
                + (_instance.StartSidecar is null ? "" : "; its sidecar stopped with it"));
            return false;
        }

        var delay = _appBackOff.Next(startedAt, _time.GetUtcNow());
        if (delay > TimeSpan.Zero)
        {
            lock (_gate)
            {
                _runtime.Phase = InstancePhases.CrashLoopBackOff;
                _runtime.Reason = $"back-off {Seconds(delay)} restarting the application (restarts: {_runtime.Restarts.ToString(CultureInfo.InvariantCulture)})";
            }
        }

        _report?.Invoke($"{Key}: the application exited with code {code}; restarting it{(delay > TimeSpan.Zero ? $" in {Seconds(delay)} (CrashLoopBackOff)" : "")}");
        try
        {
            await Task.Delay(delay, _time, stopping);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        lock (_gate)
        {
            _runtime.Restarts++;
        }

        return true;
    }

    /// <summary>The startup probe first; once it passes (or without one), liveness and readiness side by side.</summary>
    private async Task RunProbesAsync(TaskCompletionSource<string> kill, CancellationToken life)
    {
        var spec = Spec;
        var target = _instance.ProbeTarget;
        if (spec.StartupProbe is { } startup)
        {
            var passed = false;
            await new ProbeRunner(startup, target, _time).RunAsync((passing, detail) =>
            {
                if (!passing)
                {
                    kill.TrySetResult($"startup probe failed {startup.FailureThreshold.ToString(CultureInfo.InvariantCulture)} times ({detail})");
                    return false;
                }

                passed = true;
                lock (_gate)
                {
                    _started = true;
                }

                UpdateReadiness();
                return false; // a startup probe stops once it succeeded
            }, life);
            if (!passed)
            {
                return;
            }
        }

        var liveness = spec.LivenessProbe is { } live
            ? new ProbeRunner(live, target, _time).RunAsync((passing, detail) =>
            {
                if (!passing)
                {
                    kill.TrySetResult($"liveness probe failed {live.FailureThreshold.ToString(CultureInfo.InvariantCulture)} times ({detail})");
                    return false;
                }

                return true;
            }, life)
            : Task.CompletedTask;
        var readiness = spec.ReadinessProbe is { } ready
            ? new ProbeRunner(ready, target, _time).RunAsync((passing, detail) =>
            {
                lock (_gate)
                {
                    _appReady = passing;
                    _probeFailure = passing ? null : $"readiness probe failed: {detail}";
                }

                _report?.Invoke(passing ? $"{Key}: ready" : $"{Key}: readiness probe failed ({detail}); its endpoint is withdrawn");
                UpdateReadiness();
                return true;
            }, life)
            : Task.CompletedTask;
        await Task.WhenAll(liveness, readiness);
    }

    /// <summary>The sidecar runs as long as the pod (a native sidecar): restarted whenever it stops, with its own back-off.</summary>
    private async Task SidecarLoopAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested && !_appFinished.Task.IsCompleted)
        {
            var startedAt = _time.GetUtcNow();
            var sidecar = _instance.StartSidecar!();
            lock (_gate)
            {
                _sidecar = sidecar;
                _sidecarReady = false;
                _runtime.SidecarPid = sidecar.Pid;
                _runtime.SidecarRunning = true;
                _runtime.SidecarExitCode = null;
            }

            using var life = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var readiness = WaitForSidecarReadyAsync(life.Token);
            var exited = sidecar.Exited;
            await Task.WhenAny(exited, Task.Delay(Timeout.Infinite, stopping).ContinueWith(_ => { }, TaskScheduler.Default), _appFinished.Task);
            await life.CancelAsync();
            await readiness;
            if (!sidecar.HasExited)
            {
                return; // stopping, or the app finished: whoever ends the pod stops the sidecar
            }

            var exitCode = sidecar.ExitCode;
            lock (_gate)
            {
                _sidecarReady = false;
                _runtime.SidecarRunning = false;
                _runtime.SidecarExitCode = exitCode;
            }

            UpdateReadiness();
            lock (_gate)
            {
                _sidecar = null;
            }

            await sidecar.DisposeAsync();
            if (stopping.IsCancellationRequested || _appFinished.Task.IsCompleted)
            {
                return;
            }

            var delay = _sidecarBackOff.Next(startedAt, _time.GetUtcNow());
            _report?.Invoke($"{Key}: the sidecar exited with code {exitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"}; its endpoint is withdrawn, restarting it"
                + (delay > TimeSpan.Zero ? $" in {Seconds(delay)}" : ""));
            try
            {
                await Task.Delay(delay, _time, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (_gate)
            {
                _runtime.Restarts++;
            }
        }
    }

    /// <summary>A started sidecar takes traffic once its admin /ready says it has its config and certificate.</summary>
    private async Task WaitForSidecarReadyAsync(CancellationToken life)
    {
        try
        {
            while (!life.IsCancellationRequested)
            {
                try
                {
                    using var response = await Admin.GetAsync($"http://{_instance.AdminEndpoint}/ready", life);
                    if (response.IsSuccessStatusCode)
                    {
                        lock (_gate)
                        {
                            _sidecarReady = true;
                        }

                        UpdateReadiness();
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !life.IsCancellationRequested)
                {
                    // not listening yet
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, life);
            }
        }
        catch (OperationCanceledException) when (life.IsCancellationRequested)
        {
        }
    }

    private void UpdateReadiness()
    {
        bool ready;
        lock (_gate)
        {
            ready = !_terminating && _appRunning && _started && _appReady && (_instance.StartSidecar is null || _sidecarReady);
            if (_runtime.Phase is InstancePhases.Running or InstancePhases.Starting or InstancePhases.Terminating)
            {
                _runtime.Reason = ready ? null
                    : _terminating ? "stopping"
                    : !_appRunning ? "application is not running"
                    : !_started ? "startup probe has not succeeded yet"
                    : _probeFailure is { } failure ? failure
                    : !_appReady ? "readiness probe has not succeeded yet"
                    : "sidecar is not ready";
            }
        }

        _registry.SetReady(Key, ready);
    }

    /// <summary>True once the registry has it as ready (all its conditions hold).</summary>
    public bool Ready => _registry.Find(Key)?.Ready == true;

    /// <summary>Takes the instance out of every proxy's endpoints; no restart happens after this.</summary>
    public void Withdraw()
    {
        lock (_gate)
        {
            _terminating = true;
            _runtime.Phase = InstancePhases.Terminating;
        }

        UpdateReadiness();
    }

    /// <summary>
    /// After <see cref="Withdraw"/> has reached the proxies: the app gets SIGTERM and
    /// <paramref name="drain"/> to finish what it is serving, then the sidecar (which the app may
    /// still need for its own calls while it stops) gets the same.
    /// </summary>
    public async Task StopProcessesAsync(TimeSpan drain)
    {
        await _stopping.CancelAsync();
        await _appLoop;
        await _sidecarLoop;
        ChildProcess? app, sidecar;
        lock (_gate)
        {
            (app, sidecar) = (_app, _sidecar);
        }

        if (app is not null)
        {
            await app.StopAsync(drain);
        }

        if (sidecar is not null)
        {
            await sidecar.StopAsync(drain);
        }

        lock (_gate)
        {
            _runtime.AppRunning = false;
            _runtime.SidecarRunning = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _appLoop;
        await _sidecarLoop;
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_sidecar is not null)
        {
            await _sidecar.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private static string Seconds(TimeSpan delay) => $"{delay.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)}s";
}
