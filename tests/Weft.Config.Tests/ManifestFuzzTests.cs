using System.Diagnostics;
using System.Text;
using Weft.Config.Loading;
using Weft.Testing;

namespace Weft.Config.Tests;

/// <summary>
/// Mutations of the example manifests and of every test mesh: the loader never throws or hangs,
/// and each input is either accepted or refused with its file, a line and a reason. A test-sized
/// run here (WEFT_FUZZ_MUTATIONS raises it: bench/fuzz-manifests.sh runs 100,000), seeded so a
/// failure names the mutation that caused it.
/// </summary>
public sealed class ManifestFuzzTests
{
    private static readonly TimeSpan PerInputLimit = TimeSpan.FromSeconds(5);

    [Fact]
    public void Mutated_manifests_are_accepted_or_refused_with_file_line_and_reason()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("WEFT_FUZZ_MUTATIONS"), out var n) ? n : 3000;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("WEFT_FUZZ_SEED"), out var s) ? s : 15;
        var sources = Directory.GetFiles(Repository.Example("payments"), "*.yaml")
            .Concat(Directory.GetFiles(Path.Combine(Repository.Root, "tests", "Weft.IntegrationTests", "Meshes"), "*.yaml", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal)
            .Select(path => (Path: path, Text: File.ReadAllText(path)))
            .ToList();
        var random = new Random(seed);
        var (accepted, refused) = (0, 0);
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < count; i++)
        {
            var (path, text) = sources[i % sources.Count];
            var mutated = ManifestMutator.Mutate(text, random);
            var file = $"fuzz-{i}-{Path.GetFileName(path)}";
            var started = Stopwatch.GetTimestamp();
            LoadResult result;
            try
            {
                result = ManifestLoader.Load(mutated, file);
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} (seed {seed}) of {path} threw {e}\n--- input ---\n{mutated}");
                return;
            }

            var took = Stopwatch.GetElapsedTime(started);
            slowest = took > slowest ? took : slowest;
            Assert.True(took < PerInputLimit, $"mutation {i} (seed {seed}) of {path} took {took.TotalSeconds:0.0}s\n--- input ---\n{mutated}");
            foreach (var error in result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
            {
                Assert.True(error.Location.File == file && error.Location.Line >= 1 && error.Message.Length > 0,
                    $"mutation {i} (seed {seed}) of {path}: an error without file, line or reason: {error}\n--- input ---\n{mutated}");
            }

            if (result.HasErrors)
            {
                refused++;
            }
            else
            {
                accepted++;
            }
        }

        // Both outcomes occur: the mutations are neither all harmless nor all fatal.
        Assert.True(accepted > 0 && refused > 0, $"{accepted} accepted, {refused} refused");
        Console.WriteLine($"manifest fuzz: {count} mutations of {sources.Count} files (seed {seed}): {accepted} accepted, {refused} refused with file and line, slowest {slowest.TotalMilliseconds:0} ms");
    }
}

/// <summary>Small, YAML-aware damage: what an editor slip, a bad merge or a truncated write does to a manifest.</summary>
internal static class ManifestMutator
{
    private static readonly string[] Tokens = ["{", "}", "[", "]", ":", "- ", "---\n", "\"", "'", "&a ", "*a", "!!str ", "~", "null", "-1", "0", "99999999999", "1e400", "true", "\t", "#", "|", ">", "? ", "\\u0000", "é", "\n  ", ",", "%YAML 1.2\n"];

    public static string Mutate(string text, Random random)
    {
        var builder = new StringBuilder(text);
        var edits = 1 + random.Next(3);
        for (var e = 0; e < edits && builder.Length > 0; e++)
        {
            var at = random.Next(builder.Length);
            switch (random.Next(7))
            {
                case 0: // delete a span
                    builder.Remove(at, Math.Min(builder.Length - at, 1 + random.Next(12)));
                    break;
                case 1: // insert a YAML token
                    builder.Insert(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 2: // replace one character with a random printable one
                    builder[at] = (char)random.Next(32, 127);
                    break;
                case 3: // duplicate a line (a repeated key, an extra list item)
                    {
                        var lines = builder.ToString().Split('\n').ToList();
                        var line = random.Next(lines.Count);
                        lines.Insert(line, lines[line]);
                        builder.Clear().Append(string.Join('\n', lines));
                        break;
                    }

                case 4: // drop a line
                    {
                        var lines = builder.ToString().Split('\n').ToList();
                        lines.RemoveAt(random.Next(lines.Count));
                        builder.Clear().Append(string.Join('\n', lines));
                        break;
                    }

                case 5: // shift a line's indentation
                    {
                        var lines = builder.ToString().Split('\n').ToList();
                        var line = random.Next(lines.Count);
                        lines[line] = random.Next(2) == 0 ? "  " + lines[line] : lines[line].TrimStart();
                        builder.Clear().Append(string.Join('\n', lines));
                        break;
                    }

                default: // truncate, as a half-written file
                    builder.Length = at;
                    break;
            }
        }

        return builder.ToString();
    }
}
