using Weft.Testing;

namespace Weft.Conformance.Tests;

/// <summary>
/// One test per case of Istio's analyzer test grid: Weft's findings for the case's analyzer must be
/// Istio's. Cases about features Weft does not implement are skipped with the reason
/// (<see cref="IstioAnalyzerCases.Unsupported"/>); without the shared conformance folder the test
/// is skipped, saying so.
/// </summary>
public sealed class IstioAnalyzerConformanceTests(ConformanceReport report)
{
    private const string NoData = "(conformance data missing)";

    private static readonly string? Folder = Repository.Conformance(IstioAnalyzerCases.Folder);

    public static TheoryData<string> Cases()
    {
        var cases = new TheoryData<string>();
        if (Folder is null)
        {
            cases.Add(NoData);
            return cases;
        }

        foreach (var @case in IstioAnalyzerCases.Load(Folder))
        {
            cases.Add(@case.Name);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Weft_reports_what_istio_reports(string name)
    {
        if (Folder is null)
        {
            Assert.Skip($"{name}: ../shared/conformance/{IstioAnalyzerCases.Folder} is not beside this checkout ({Repository.Root})");
        }

        var @case = IstioAnalyzerCases.Load(Folder).Single(c => c.Name == name);
        var outcome = IstioAnalyzerCases.Run(@case, Folder);
        report.Record(outcome);

        if (outcome.Status == CaseStatus.Skipped)
        {
            Assert.Skip($"{@case.Analyzer}: {outcome.Detail}");
        }

        Assert.True(outcome.Status == CaseStatus.Passed, $"{@case.Name} ({@case.Analyzer}): {outcome.Detail}");
    }
}
