namespace AgentOrchestration.Data.Benchmarks;

/// <summary>One timed run: how many items went through, how long it took, the exceptions that reached the caller, and the claim latencies.</summary>
internal sealed record RunResult(int Items, TimeSpan Elapsed, int Exceptions, double[] ClaimMilliseconds)
{
    /// <summary>Gets the items each worker completed, in worker order, where the run counts them (empty otherwise).</summary>
    public int[] PerWorker { get; init; } = [];

    public double PerSecond => Items / Elapsed.TotalSeconds;

    public double Percentile(double p)
    {
        if (ClaimMilliseconds.Length == 0)
        {
            return double.NaN;
        }

        var sorted = ClaimMilliseconds.Order().ToArray();
        var index = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
