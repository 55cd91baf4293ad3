using BenchmarkDotNet.Running;

namespace Weft.Benchmarks;

internal static class Program
{
    // dotnet run -c Release --project bench/Weft.Benchmarks -- --filter '*'      (all)
    // dotnet run -c Release --project bench/Weft.Benchmarks -- --filter '*RouteMatch*' --job short
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
