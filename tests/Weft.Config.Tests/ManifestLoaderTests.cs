using Weft.Config.Loading;
using Weft.Config.Model;
using Weft.Testing;

namespace Weft.Config.Tests;

public sealed class ManifestLoaderTests
{
    private const string VirtualServiceHeader = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: payments
          namespace: payments
        spec:
          hosts: [payments]
          http:
          - route:
        """;

    [Fact]
    public void Reads_every_supported_kind_with_its_fields()
    {
        var examples = Repository.Example("payments");
        var result = new LoadResult();
        foreach (var file in Directory.GetFiles(examples, "*.yaml").Order())
        {
            result.Add(ManifestLoader.Load(File.ReadAllText(file), file));
        }

        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        Assert.Equal(4, result.Resources.OfType<Workload>().Count());
        var virtualService = Assert.Single(result.Resources.OfType<VirtualService>());
        Assert.Equal("true", virtualService.Spec.Http[0].Match![0].Headers!["x-canary"].Exact);
        Assert.Equal([90, 10], virtualService.Spec.Http[1].Route.Select(r => r.Weight ?? 0));
        Assert.Equal(2, virtualService.Spec.Http[1].Retries!.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(1), virtualService.Spec.Http[1].Retries!.PerTryTimeout!.Value.Value);
        Assert.Equal("STRICT", Assert.Single(result.Resources.OfType<PeerAuthentication>()).Spec.Mtls!.Mode);
        var policy = Assert.Single(result.Resources.OfType<AuthorizationPolicy>());
        Assert.Equal("cluster.local/ns/shop/sa/checkout", policy.Spec.Rules![0].From![0].Source.Principals![0]);
        var payments = result.Resources.OfType<Workload>().Single(w => w.Name == "payments-v2");
        Assert.Equal("v2", payments.Metadata.Labels["version"]);
        Assert.Equal(9080, payments.Spec.Ports[0].Port);
    }

    public static TheoryData<string, string, int, string, string> InvalidManifests => new()
    {
        // yaml body after the header, expected code, line, field, message fragment
        { VirtualServiceHeader + "\n    - destination: {host: payments}\n      weight: ten\n", DiagnosticCodes.SchemaError, 11, "spec.http[0].route[0].weight", "expected an integer" },
        { VirtualServiceHeader + "\n    - destination: {host: payments}\n      wieght: 10\n", DiagnosticCodes.SchemaError, 11, "spec.http[0].route[0].wieght", "unknown field 'wieght'" },
        { VirtualServiceHeader + "\n    - destination: {host: payments}\n    retries: {attempts: 2, perTryTimeout: soon}\n", DiagnosticCodes.SchemaError, 11, "spec.http[0].retries.perTryTimeout", "'soon' is not a duration" },
        { VirtualServiceHeader + "\n    - destination: {host: payments}\n      weight: 60\n    - destination: {host: payments}\n      weight: 30\n", DiagnosticCodes.InvalidValue, 9, "spec.http[0].route", "add up to 90" },
        { VirtualServiceHeader + "\n    - destination: {host: payments}\n    retries:\n      attempts: 2\n      retryOn: 5xx,sometimes\n", DiagnosticCodes.InvalidValue, 13, "spec.http[0].retries.retryOn", "unknown retry condition 'sometimes'" },
        { VirtualServiceHeader + "\n    - destination: {host: payments\n", DiagnosticCodes.YamlSyntax, 11, "", "invalid YAML" },
        { VirtualServiceHeader + "\n    - destination: {host: payments}\n      weight: [broken\n", DiagnosticCodes.YamlSyntax, 12, "", "invalid YAML" },
        { "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: x, namespace: y}\nspec:\n  mtls: {mode: STRICTER}\n", DiagnosticCodes.InvalidValue, 5, "spec.mtls.mode", "unknown mode 'STRICTER'" },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: y}\nspec:\n  action: PERMIT\n", DiagnosticCodes.InvalidValue, 5, "spec.action", "unknown action 'PERMIT'" },
        { "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: x, namespace: y}\nspec:\n  jwtRules:\n  - jwksUri: https://issuer.test/keys\n", DiagnosticCodes.InvalidValue, 6, "spec.jwtRules[0].issuer", "issuer is required" },
        { "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: x, namespace: y}\nspec:\n  jwtRules:\n  - issuer: https://issuer.test\n    jwks: '{\"key\": 1}'\n", DiagnosticCodes.InvalidValue, 7, "spec.jwtRules[0].jwks", "not a JSON Web Key Set" },
        { "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: x, namespace: y}\nspec:\n  jwtRules:\n  - issuer: https://issuer.test\n    jwksUri: ftp://issuer.test/keys\n", DiagnosticCodes.InvalidValue, 7, "spec.jwtRules[0].jwksUri", "not an http, https or file URI" },
        { "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: y}\nspec:\n  rules:\n  - from:\n    - source: {ipBlocks: [10.0.0.0/33]}\n", DiagnosticCodes.InvalidValue, 7, "spec.rules[0].from[0].source.ipBlocks[0]", "not an IP address or CIDR block" },
        { "apiVersion: v1\nkind: Service\nmetadata: {namespace: y}\nspec: {}\n", DiagnosticCodes.SchemaError, 3, "metadata.name", "metadata.name is required" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{port: 70000}]\n  command: [x]\n", DiagnosticCodes.InvalidValue, 5, "spec.ports[0].port", "70000 is not a port number" },
        { "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: y}\nspec:\n  clusterIP: 10.96.0.300\n", DiagnosticCodes.InvalidValue, 5, "spec.clusterIP", "'10.96.0.300' is not an IP address" },
        { "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: y}\nspec:\n  clusterIPs: [10.96.0.1, payments]\n", DiagnosticCodes.InvalidValue, 5, "spec.clusterIPs[1]", "'payments' is not an IP address" },
        // Found by ManifestFuzzTests: values with nothing in them are refused where they are, not crashed on
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n", DiagnosticCodes.SchemaError, 4, "spec", "spec has no value" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  command: [x]\n  ports: [~]\n", DiagnosticCodes.SchemaError, 6, "spec.ports[0]", "a list item has no value" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  command: [x]\n  ports:\n", DiagnosticCodes.SchemaError, 6, "spec.ports", "" },
        { VirtualServiceHeader + "\n    - destination: {host: payments}\n    timeout: 1e400s\n", DiagnosticCodes.SchemaError, 11, "spec.http[0].timeout", "'1e400s' is not a duration" },
        { "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: x, namespace: y}\nspec:\n  selector: {matchLabels: {app: a}}\n  portLevelMtls:\n    \"8080\":\n", DiagnosticCodes.SchemaError, 6, "spec.portLevelMtls", "'8080' has no value" },
        // Workload restart policy and probes (Kubernetes' field rules)
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  restartPolicy: Sometimes\n", DiagnosticCodes.InvalidValue, 7, "spec.restartPolicy", "unknown restart policy 'Sometimes'" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  readinessProbe:\n    periodSeconds: 5\n", DiagnosticCodes.InvalidValue, 7, "spec.readinessProbe", "needs one of httpGet, tcpSocket or exec" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  readinessProbe:\n    httpGet: {path: /ready, port: http}\n    tcpSocket: {port: 9080}\n", DiagnosticCodes.InvalidValue, 7, "spec.readinessProbe", "only one of httpGet, tcpSocket or exec" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  livenessProbe:\n    httpGet: {path: /healthz, port: admin}\n", DiagnosticCodes.InvalidValue, 8, "spec.livenessProbe.httpGet.port", "no port named 'admin'" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  livenessProbe:\n    httpGet: {path: healthz, port: 9080}\n", DiagnosticCodes.InvalidValue, 8, "spec.livenessProbe.httpGet.path", "must start with /" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  livenessProbe:\n    tcpSocket: {port: 9080}\n    successThreshold: 2\n", DiagnosticCodes.InvalidValue, 9, "spec.livenessProbe.successThreshold", "must be 1 for a livenessProbe" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  startupProbe:\n    exec: {command: []}\n", DiagnosticCodes.InvalidValue, 8, "spec.startupProbe.exec.command", "command is required" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  readinessProbe:\n    tcpSocket: {port: 0}\n", DiagnosticCodes.InvalidValue, 8, "spec.readinessProbe.tcpSocket.port", "0 is not a port number" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  readinessProbe:\n    tcpSocket: {port: 9080}\n    periodSeconds: 0\n", DiagnosticCodes.InvalidValue, 9, "spec.readinessProbe.periodSeconds", "must be 1 or more, not 0" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  readinessProbe:\n    tcpSocket: {port: 9080}\n    initialDelaySeconds: -1\n", DiagnosticCodes.InvalidValue, 9, "spec.readinessProbe.initialDelaySeconds", "must be 0 or more" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  readinessProbe:\n    httpGet: {port: 9080, scheme: FTP}\n", DiagnosticCodes.InvalidValue, 8, "spec.readinessProbe.httpGet.scheme", "unknown scheme 'FTP'" },
        { "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n  readinessProbe:\n    grpc: {port: 9080}\n", DiagnosticCodes.SchemaError, 8, "spec.readinessProbe.grpc", "unknown field 'grpc'" },
    };

    [Theory]
    [MemberData(nameof(InvalidManifests))]
    public void Invalid_input_is_reported_with_file_line_field_and_reason(string yaml, string code, int line, string field, string message)
    {
        var result = ManifestLoader.Load(yaml, "bad.yaml");

        var error = Assert.Single(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(code, error.Code);
        Assert.Equal("bad.yaml", error.Location.File);
        Assert.Equal(line, error.Location.Line);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Empty(result.Resources);
        Assert.StartsWith($"bad.yaml:{line}:", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_workload_restarts_always_and_its_probes_take_kubernetes_defaults()
    {
        var yaml = "apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a}\nspec:\n  ports: [{name: http, port: 9080}]\n  command: [x]\n"
            + "  readinessProbe:\n    httpGet: {path: /ready, port: http, httpHeaders: [{name: x-probe, value: '1'}]}\n"
            + "  livenessProbe:\n    exec: {command: [true]}\n    failureThreshold: 5\n";

        var result = ManifestLoader.Load(yaml, "w.yaml");

        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        var spec = Assert.IsType<Workload>(Assert.Single(result.Resources)).Spec;
        Assert.Equal("Always", spec.RestartPolicy);
        var readiness = spec.ReadinessProbe!;
        Assert.Equal((0, 10, 1, 1, 3), (readiness.InitialDelaySeconds, readiness.PeriodSeconds, readiness.TimeoutSeconds, readiness.SuccessThreshold, readiness.FailureThreshold));
        Assert.Equal(("/ready", "http", "HTTP", "x-probe"), (readiness.HttpGet!.Path, readiness.HttpGet.Port.Text, readiness.HttpGet.Scheme, readiness.HttpGet.HttpHeaders[0].Name));
        Assert.Equal(5, spec.LivenessProbe!.FailureThreshold);
        Assert.Equal(["true"], spec.LivenessProbe.Exec!.Command);
        Assert.Null(spec.StartupProbe);
    }

    [Fact]
    public void A_field_weft_does_not_implement_is_reported_not_ignored()
    {
        var yaml = VirtualServiceHeader + "\n    - destination: {host: payments}\n    corsPolicy:\n      allowOrigins: [{exact: https://example.com}]\n";

        var result = ManifestLoader.Load(yaml, "vs.yaml");

        Assert.False(result.HasErrors);
        Assert.Single(result.Resources);
        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticCodes.UnsupportedField, warning.Code);
        Assert.Equal("spec.http[0].corsPolicy", warning.Field);
        Assert.Equal(11, warning.Location.Line);
    }

    [Fact]
    public void A_mesh_kind_weft_lacks_is_a_warning_and_an_irrelevant_kind_a_note_both_skipped()
    {
        var result = ManifestLoader.Load(
            "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {}\n",
            "mixed.yaml");

        Assert.False(result.HasErrors);
        Assert.Equal("b", Assert.Single(result.Resources).Name);
        Assert.Collection(result.Diagnostics,
            d => Assert.Equal((DiagnosticSeverity.Warning, DiagnosticCodes.UnknownKind, 2), (d.Severity, d.Code, d.Location.Line)),
            d => Assert.Equal((DiagnosticSeverity.Info, DiagnosticCodes.UnknownKind, 6), (d.Severity, d.Code, d.Location.Line)));
    }

    [Fact]
    public void A_value_error_rejects_the_resource_but_keeps_it_for_analysis()
    {
        var result = ManifestLoader.Load(VirtualServiceHeader + "\n    - destination: {host: payments}\n      weight: 60\n    - destination: {host: payments}\n      weight: 30\n", "vs.yaml");

        Assert.True(result.HasErrors);
        Assert.Empty(result.Resources);
        Assert.Equal("payments", Assert.Single(result.Rejected).Name);
    }

    [Fact]
    public void An_istio_condition_key_weft_does_not_evaluate_is_a_warning_not_an_error()
    {
        var result = ManifestLoader.Load(
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: y}\nspec:\n  rules:\n  - when:\n    - key: experimental.envoy.filters.network.mysql_proxy[db.table]\n      values: [x]\n",
            "ap.yaml");

        Assert.False(result.HasErrors);
        Assert.Single(result.Resources);
        var warning = Assert.Single(result.Diagnostics);
        Assert.Equal((DiagnosticCodes.UnsupportedField, "spec.rules[0].when[0].key", 7), (warning.Code, warning.Field, warning.Location.Line));
        Assert.Contains("never matches", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1s", 1000)]
    [InlineData("250ms", 250)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1500)]
    [InlineData("2h", 7_200_000)]
    public void Durations_are_read_as_istio_writes_them(string text, double milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var duration));
        Assert.Equal(milliseconds, duration.Value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("1 sec")]
    [InlineData("s")]
    public void Malformed_durations_are_refused(string text) => Assert.False(Duration.TryParse(text, out _));

    [Fact]
    public void Numeric_label_values_are_read_as_strings()
    {
        var result = ManifestLoader.Load("apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: a, labels: {version: 2}}\nspec: {command: [x]}\n", "w.yaml");
        Assert.Equal("2", Assert.IsType<Workload>(Assert.Single(result.Resources)).Metadata.Labels["version"]);
    }
}

public sealed class BrokenExampleEditsTests
{
    [Theory]
    [InlineData("weight: 90", "weight: [broken", 18)]
    [InlineData("perTryTimeout: 1s", "perTryTimeout: {1s", 23)]
    public void A_syntax_error_in_a_real_manifest_names_its_line(string from, string to, int line)
    {
        var text = File.ReadAllText(Path.Combine(Repository.Example("payments"), "traffic.yaml")).Replace(from, to);

        var error = Assert.Single(ManifestLoader.Load(text, "traffic.yaml").Diagnostics);

        Assert.Equal(DiagnosticCodes.YamlSyntax, error.Code);
        Assert.InRange(error.Location.Line, line, line + 1);
    }
}
