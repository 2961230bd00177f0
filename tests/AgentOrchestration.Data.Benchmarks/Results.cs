using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>
/// Everything one run found: correctness checks (a failed one fails the run), measurements grouped by section, the
/// issue's targets as library / baseline ratios, round trips per operation, and query plans. Rendered as
/// <c>results.md</c> and <c>results.json</c>.
/// </summary>
internal sealed partial class Results
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly object gate = new();

    public List<CheckResult> Checks { get; } = [];

    public List<Measurement> Measurements { get; } = [];

    public List<Goal> Targets { get; } = [];

    public List<RoundTrips> Trips { get; } = [];

    public List<Plan> Plans { get; } = [];

    public List<string> Notes { get; } = [];

    public bool Failed => Checks.Any(c => !c.Ok);

    /// <summary>A correctness check: <paramref name="ok"/> false fails the run (exit code 2).</summary>
    public void Check(string name, bool ok, string detail)
    {
        lock (gate)
        {
            Checks.Add(new CheckResult(name, ok, detail));
        }

        if (!ok)
        {
            Console.Error.WriteLine($"bench: CHECK FAILED: {name}: {detail}");
        }
    }

    /// <summary>Every item completed exactly once (<paramref name="wrong"/> counts items done zero or several times).</summary>
    public void CheckOnce(string run, int once, int expected, int wrong) =>
        Check($"exactly once: {run}", once == expected && wrong == 0, $"{once:N0} of {expected:N0} done once, {wrong:N0} wrong");

    public void Measure(string section, string name, double value, string unit, string? detail = null)
    {
        lock (gate)
        {
            Measurements.Add(new Measurement(section, name, value, unit, detail));
        }
    }

    /// <summary>A target of the issue: <paramref name="library"/> / <paramref name="baseline"/> against <paramref name="target"/>.</summary>
    public void Ratio(string name, double library, double baseline, string target, Func<double, bool> met, string unit)
    {
        var ratio = library / baseline;
        var ok = !double.IsNaN(ratio) && met(ratio);
        lock (gate)
        {
            Targets.Add(Judged(new Goal(name, library, baseline, ratio, target, ok, unit), ratio));
        }
    }

    /// <summary>A target on one number (a count, a ratio within the library's own numbers).</summary>
    public void Absolute(string name, double value, string target, bool met, string unit)
    {
        lock (gate)
        {
            Targets.Add(Judged(new Goal(name, value, null, null, target, met, unit), value));
        }
    }

    /// <summary>A yes/no target (library 1 or 0 in the JSON).</summary>
    public void Holds(string name, bool holds, string target)
    {
        lock (gate)
        {
            Targets.Add(new Goal(name, holds ? 1 : 0, null, null, target, holds, "", holds ? "yes" : "no") { Verdict = holds ? "met" : "not met: it does not" });
        }
    }

    /// <summary>
    /// How far the compared number is from the target's bound (parsed from its text: "≥ 0.5×", "≤ 2×", "&lt; 60 s", "0"):
    /// <see cref="Goal.Margin"/> is the factor on the right side of the bound (≥ 1 when the bound holds), and
    /// <see cref="Goal.Verdict"/> says "met" or by how much it falls short.
    /// </summary>
    internal static Goal Judged(Goal goal, double compared)
    {
        var match = Bound().Match(goal.Target);
        if (!match.Success || double.IsNaN(compared))
        {
            return goal with { Verdict = goal.Met ? "met" : double.IsNaN(compared) ? "not met: not measured" : "not met" };
        }

        var op = match.Groups["op"].Success ? match.Groups["op"].Value : "=";
        var bound = double.Parse(match.Groups["n"].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        var atLeast = op is "≥" or ">";
        var margin = atLeast ? compared / bound : bound == 0 ? (compared == 0 ? double.PositiveInfinity : 0) : bound / compared;
        string verdict;
        if (goal.Met)
        {
            verdict = !double.IsFinite(margin) || margin <= 0 ? "met"
                : margin == 1 ? "met (at the bound)"
                : string.Create(CultureInfo.InvariantCulture, $"met ({margin:0.##}× margin)");
        }
        else if (margin >= 1)
        {
            verdict = "not met: the bound holds, the rest of the target does not";
        }
        else if (bound == 0 && !atLeast)
        {
            verdict = string.Create(CultureInfo.InvariantCulture, $"not met: {Number(compared)} where 0 is wanted");
        }
        else if (atLeast && compared <= 0)
        {
            verdict = "not met: nothing measured above 0";
        }
        else
        {
            var factor = 1 / margin;
            // The percentage only where it reads better than the factor (a shortfall of less than 10×).
            var percent = factor >= 10 ? ""
                : atLeast ? string.Create(CultureInfo.InvariantCulture, $" (+{(factor - 1) * 100:0}%)")
                : string.Create(CultureInfo.InvariantCulture, $" (−{(1 - (1 / factor)) * 100:0}%)");
            verdict = string.Create(CultureInfo.InvariantCulture, $"not met: needs {factor:0.##}× {(atLeast ? "higher" : "lower")}{percent}");
        }

        return goal with { Op = op, Bound = bound, Margin = double.IsFinite(margin) ? margin : null, Verdict = verdict };
    }

    public void AddTrips(RoundTrips trips)
    {
        lock (gate)
        {
            Trips.Add(trips);
        }
    }

    public void AddPlan(Plan plan)
    {
        lock (gate)
        {
            Plans.Add(plan);
        }
    }

    public void Note(string note)
    {
        lock (gate)
        {
            Notes.Add(note);
        }
    }

    public string ToJson(RunInfo run) =>
        JsonSerializer.Serialize(new { run, targets = Targets, checks = Checks, measurements = Measurements, roundTrips = Trips, plans = Plans, notes = Notes }, Json);

    public string ToMarkdown(RunInfo run)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"Run {run.Started:yyyy-MM-dd HH:mm} UTC, {run.Cores} cores, {run.Elapsed:mm\\:ss} in all, {(run.Quick ? "**--quick** (correctness only: the numbers are too small to mean anything)" : "full size")}.");
        s.AppendLine();
        s.AppendLine("## Targets");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"{Targets.Count(t => t.Met)} of {Targets.Count} met. \"Needs N× higher/lower\" is the factor between the measured number and the bound, so each shortfall reads directly.");
        s.AppendLine();
        s.AppendLine("| Target | Library | Baseline | Ratio | Wanted | Verdict |");
        s.AppendLine("| --- | ---: | ---: | ---: | --- | --- |");
        foreach (var t in Targets)
        {
            var verdict = t.Verdict ?? (t.Met ? "met" : "not met");
            s.AppendLine(CultureInfo.InvariantCulture, $"| {t.Name} | {t.Shown ?? $"{Number(t.Library)} {t.Unit}"} | {(t.Baseline is { } b ? $"{Number(b)} {t.Unit}" : "")} | {(t.Ratio is { } r ? Number(r) + "×" : "")} | {t.Target} | {(t.Met ? verdict : $"**{verdict}**")} |");
        }

        if (Targets.Any(t => !t.Met))
        {
            s.AppendLine();
            s.AppendLine("Not met:");
            s.AppendLine();
            foreach (var t in Targets.Where(t => !t.Met))
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"- {t.Name}: {t.Shown ?? (t.Ratio is { } r ? Number(r) + "×" : $"{Number(t.Library)} {t.Unit}")}, wanted {t.Target}; {t.Verdict ?? "not met"}.");
            }
        }

        s.AppendLine();
        s.AppendLine("## Round trips per operation");
        s.AppendLine();
        s.AppendLine("PostgreSQL: commands and batches Npgsql sent (its tracing) plus commits of EF transactions; SQLite: statements the engine ran (sqlite3_trace, BEGIN and COMMIT included). LINQ queries: run through EF's query cache (EF's metrics); compiled: of those, cache misses. Averages over the calls.");
        s.AppendLine();
        s.AppendLine("| Provider | Operation | Calls | Round trips | Npgsql commands / SQLite statements | EF commands | Commits | Transactions | LINQ queries | compiled |");
        s.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var t in Trips)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| {t.Provider} | {t.Operation} | {t.Calls} | {Number(t.RoundTripsPerCall)} | {Number(t.SentPerCall)} | {Number(t.EfCommandsPerCall)} | {Number(t.CommitsPerCall)} | {Number(t.TransactionsPerCall)} | {Number(t.LinqQueriesPerCall)} | {Number(t.QueryCompilationsPerCall)} |");
        }

        foreach (var section in Measurements.GroupBy(m => m.Section))
        {
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"## {section.Key}");
            s.AppendLine();
            s.AppendLine("| Measurement | Value | |");
            s.AppendLine("| --- | ---: | --- |");
            foreach (var m in section)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"| {Cell(m.Name)} | {Number(m.Value)} {m.Unit} | {Cell(m.Detail ?? "")} |");
            }
        }

        s.AppendLine();
        s.AppendLine("## Correctness checks");
        s.AppendLine();
        s.AppendLine("| Check | | Detail |");
        s.AppendLine("| --- | --- | --- |");
        foreach (var c in Checks)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| {Cell(c.Name)} | {(c.Ok ? "ok" : "**FAILED**")} | {Cell(c.Detail)} |");
        }

        if (Notes.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("## Notes");
            s.AppendLine();
            foreach (var note in Notes)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"- {note.ReplaceLineEndings(" ")}");
            }
        }

        s.AppendLine();
        s.AppendLine("## Plans");
        s.AppendLine();
        s.AppendLine("| Provider | Items | Indexes | Query | Uses an index | Median |");
        s.AppendLine("| --- | ---: | --- | --- | --- | ---: |");
        foreach (var p in Plans)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| {p.Provider} | {p.Items:N0} | {(p.Indexed ? "library's" : "dropped")} | {p.Query} | {(p.UsesIndex ? "yes" : "**no**")} | {Number(p.MedianMilliseconds)} ms |");
        }

        foreach (var p in Plans.Where(p => p.Indexed))
        {
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"### {p.Provider}, {p.Items:N0} items: {p.Query}");
            s.AppendLine();
            s.AppendLine("```sql");
            s.AppendLine(p.Sql.Trim());
            s.AppendLine("```");
            s.AppendLine();
            s.AppendLine("```");
            s.AppendLine(p.Text.Trim());
            s.AppendLine("```");
        }

        return s.ToString();
    }

    [GeneratedRegex(@"^\s*(?<op>≥|≤|<|>)?\s*(?<n>\d[\d,]*(\.\d+)?)")]
    private static partial Regex Bound();

    // A table cell: one line, no column separator.
    private static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);

    private static string Number(double value) =>
        double.IsNaN(value) ? "n/a"
        : Math.Abs(value) >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture)
        : value.ToString("0.##", CultureInfo.InvariantCulture);

    internal sealed record RunInfo(DateTimeOffset Started, int Cores, TimeSpan Elapsed, bool Quick, string Arguments);

    internal sealed record CheckResult(string Name, bool Ok, string Detail);

    internal sealed record Measurement(string Section, string Name, double Value, string Unit, string? Detail);

    /// <summary>One target; <see cref="Op"/> and <see cref="Bound"/> are read from <see cref="Target"/>, <see cref="Margin"/> and <see cref="Verdict"/> from <see cref="Judged"/>.</summary>
    internal sealed record Goal(string Name, double Library, double? Baseline, double? Ratio, string Target, bool Met, string Unit, string? Shown = null)
    {
        public string? Op { get; init; }

        public double? Bound { get; init; }

        public double? Margin { get; init; }

        public string? Verdict { get; init; }
    }

    internal sealed record RoundTrips(
        string Provider, string Operation, int Calls, double RoundTripsPerCall, double SentPerCall, double EfCommandsPerCall, double CommitsPerCall, double TransactionsPerCall,
        double LinqQueriesPerCall, double QueryCompilationsPerCall);

    internal sealed record Plan(string Provider, int Items, bool Indexed, string Query, bool UsesIndex, double MedianMilliseconds, string Sql, string Text);
}
