using System.Text.Json;
using System.Text.Json.Nodes;
using Weft.Config.Loading;
using Weft.Config.Model;

namespace Weft.Mesh.Analysis;

/// <summary>
/// Istio's checks of a VirtualService's rule order, on http, tcp and tls rules alike (the first
/// matching rule wins): IST0130 VirtualServiceUnreachableRule — a rule after one without matches,
/// or all of whose matches repeat earlier ones; IST0131 VirtualServiceIneffectiveMatch — a match
/// that repeats an earlier one, or (http) whose URI prefix an earlier match's prefix covers with
/// the same or a broader method, authority, headers and query parameters.
/// </summary>
internal static class UnreachableRouteRules
{
    public static IEnumerable<ConfigDiagnostic> Find(AnalysisInput input)
    {
        foreach (var virtualService in input.OfType<VirtualService>())
        {
            var http = virtualService.Spec.Http.Select(h => h.Match?.Select(m => (object)m).ToList()).ToList();
            foreach (var finding in Analyze(virtualService, "http", http, virtualService.Spec.Http.Select(h => h.Name).ToList()))
            {
                yield return finding;
            }

            foreach (var finding in PrefixOverlaps(virtualService))
            {
                yield return finding;
            }

            foreach (var (kind, rules) in new[] { ("tcp", virtualService.Spec.Tcp), ("tls", virtualService.Spec.Tls) })
            {
                if (rules is { ValueKind: JsonValueKind.Array } array)
                {
                    var matches = array.EnumerateArray()
                        .Select(rule => rule.ValueKind == JsonValueKind.Object && rule.TryGetProperty("match", out var m) && m.ValueKind == JsonValueKind.Array
                            ? m.EnumerateArray().Select(x => (object)x).ToList()
                            : null)
                        .ToList();
                    foreach (var finding in Analyze(virtualService, kind, matches, matches.Select(_ => (string?)null).ToList()))
                    {
                        yield return finding;
                    }
                }
            }
        }
    }

    private static IEnumerable<ConfigDiagnostic> Analyze(VirtualService virtualService, string kind, List<List<object>?> rules, List<string?> names)
    {
        string RuleName(int r) => names[r] is { Length: > 0 } name ? $"\"{name}\"" : $"#{r}";

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var catchAll = -1;
        for (var r = 0; r < rules.Count; r++)
        {
            var matches = rules[r];
            if (matches is null or { Count: 0 })
            {
                if (catchAll >= 0)
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0130", virtualService, $"spec.{kind}[{r}]",
                        $"VirtualService rule {RuleName(r)} not used (only the last rule can have no matches: rule {RuleName(catchAll)} before it matches everything) — fix: give the rule a match or move the catch-all last");
                }

                catchAll = r;
                continue;
            }

            var repeated = 0;
            for (var m = 0; m < matches.Count; m++)
            {
                if (catchAll >= 0)
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0130", virtualService, $"spec.{kind}[{r}].match[{m}]",
                        $"VirtualService rule {RuleName(r)} not used (route without matches defined before: rule {RuleName(catchAll)}) — fix: move the catch-all rule last");
                    continue;
                }

                var key = Canonical(matches[m]);
                if (seen.TryGetValue(key, out var earlier))
                {
                    repeated++;
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Info, "IST0131", virtualService, $"spec.{kind}[{r}].match[{m}]",
                        $"VirtualService rule {RuleName(r)} match #{m} is not used (duplicate/overlapping match in rule {RuleName(earlier)}) — fix: remove or change it");
                }
                else
                {
                    seen[key] = r;
                }
            }

            if (repeated == matches.Count)
            {
                yield return AnalysisInput.Finding(DiagnosticSeverity.Warning, "IST0130", virtualService, $"spec.{kind}[{r}]",
                    $"VirtualService rule {RuleName(r)} not used (all matches used by prior rules) — fix: remove the rule or change its matches");
            }
        }
    }

    /// <summary>A match's identity for comparison: its JSON without its name, keys sorted.</summary>
    private static string Canonical(object match)
    {
        var node = match is JsonElement element ? JsonNode.Parse(element.GetRawText()) : JsonSerializer.SerializeToNode(match, match.GetType());
        if (node is JsonObject obj)
        {
            obj.Remove("Name");
            obj.Remove("name");
        }

        return Sorted(node)?.ToJsonString() ?? "null";
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Where(p => p.Value is not null).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Sorted).ToArray()),
        _ => node?.DeepClone(),
    };

    /// <summary>An http match whose URI prefix an earlier match's prefix covers (Istio's overlapping-match check).</summary>
    private static IEnumerable<ConfigDiagnostic> PrefixOverlaps(VirtualService virtualService)
    {
        var prefixed = new List<(int Rule, int Match, PrefixMatch Value)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var catchAll = false;
        for (var r = 0; r < virtualService.Spec.Http.Count && !catchAll; r++)
        {
            var matches = virtualService.Spec.Http[r].Match;
            if (matches is null or { Count: 0 })
            {
                catchAll = true; // later rules are reported as unreachable already
                continue;
            }

            for (var m = 0; m < matches.Count; m++)
            {
                if (seen.Add(Canonical(matches[m])) && PrefixMatch.Of(matches[m]) is { } value)
                {
                    prefixed.Add((r, m, value));
                }
            }
        }

        for (var a = 0; a < prefixed.Count; a++)
        {
            for (var b = a + 1; b < prefixed.Count; b++)
            {
                var (earlier, later) = (prefixed[a], prefixed[b]);
                if (earlier.Value.Prefix != later.Value.Prefix && earlier.Value.Covers(later.Value))
                {
                    yield return AnalysisInput.Finding(DiagnosticSeverity.Info, "IST0131", virtualService, $"spec.http[{later.Rule}].match[{later.Match}]",
                        $"VirtualService rule #{later.Rule} match #{later.Match} of prefix {later.Value.Prefix} is not used (duplicate/overlapping match: match #{earlier.Match} of prefix {earlier.Value.Prefix} on rule #{earlier.Rule} takes its requests) — fix: order the longer prefix first");
                }
            }
        }
    }

    private sealed record PrefixMatch(string Prefix, int? Port, string Method, string Authority,
        Dictionary<string, string> Headers, Dictionary<string, string> QueryParams, Dictionary<string, string> WithoutHeaders)
    {
        public static PrefixMatch? Of(HttpMatchRequest match) => match.Uri?.Prefix is { Length: > 0 } prefix
            ? new PrefixMatch(prefix, match.Port, ExactOrPrefix(match.Method) is { Length: > 0 } method ? method : "exact:GET", ExactOrPrefix(match.Authority),
                Values(match.Headers), Values(match.QueryParams), Values(match.WithoutHeaders))
            : null;

        /// <summary>True when every request <paramref name="later"/> matches is matched by this one first.</summary>
        public bool Covers(PrefixMatch later) =>
            later.Prefix.StartsWith(Prefix, StringComparison.Ordinal) && later.Port == Port
            && Broader(Method, later.Method) && Broader(Authority, later.Authority)
            && Broader(Headers, later.Headers) && Broader(QueryParams, later.QueryParams) && Broader(WithoutHeaders, later.WithoutHeaders);

        // Istio compares the "exact:v"/"prefix:v" strings: equal, or the earlier one starting with the later one.
        private static bool Broader(string earlier, string later) => earlier == later || earlier.StartsWith(later, StringComparison.Ordinal);

        private static bool Broader(Dictionary<string, string> earlier, Dictionary<string, string> later) =>
            earlier.Count == later.Count && earlier.All(e => later.TryGetValue(e.Key, out var value) && Broader(e.Value, value));

        private static string ExactOrPrefix(StringMatch? match) =>
            match?.Exact is { Length: > 0 } exact ? "exact:" + exact : match?.Prefix is { Length: > 0 } prefix ? "prefix:" + prefix : "";

        private static Dictionary<string, string> Values(Dictionary<string, StringMatch>? matches) =>
            (matches ?? []).ToDictionary(m => m.Key, m => ExactOrPrefix(m.Value), StringComparer.Ordinal);
    }
}
