using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AgentOrchestration.Data.Claims;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>
/// The baseline that separates the cost of the library's semantics from the cost of its plumbing: the library's own
/// claim and completion SQL, captured as Npgsql sent it for one claim + complete (every command and batch, with its
/// parameters and transaction), replayed through plain prepared Npgsql commands on one connection per worker. Per call
/// the parameters are the captured ones with the call's identities put back: the worker's agent and project, a new
/// assignment id, the claimed item (read from the claim's result), new ids for anything else the library generated, and
/// timestamps moved to now. Whatever the library sends (one statement or six, in a transaction or not) is what runs.
/// </summary>
internal static class LibrarySqlReplay
{
    /// <summary>One claim and one completion as the library sends them, and the identities they were sent for.</summary>
    internal sealed record Script(
        IReadOnlyList<RoundTripCounter.SentStep> Claim,
        IReadOnlyList<RoundTripCounter.SentStep> Complete,
        Guid AgentId,
        Guid ProjectId,
        Guid WorkItemId,
        Guid AssignmentId,
        DateTime At);

    /// <summary>Captures the second of three claim + complete pairs on a fresh project (the first warms the library up).</summary>
    public static async Task<Script> CaptureAsync(BenchDatabase database)
    {
        var (project, agents) = await database.SeedAsync("capture", 3, 1);
        using var counter = new RoundTripCounter();
        await using var services = database.Services(counter);
        await using var scope = services.CreateAsyncScope();
        var claimer = scope.ServiceProvider.GetRequiredService<IWorkClaimer>();
        await claimer.CompleteAsync((await claimer.ClaimNextAsync(agents[0], project))!.Lease);

        var claim = new RoundTripCounter.Phase("claim", capture: true);
        var complete = new RoundTripCounter.Phase("complete", capture: true);
        var at = DateTime.UtcNow;
        counter.Current = claim;
        var claimed = await claimer.ClaimNextAsync(agents[0], project) ?? throw new InvalidOperationException("The capture found nothing to claim.");
        counter.Current = complete;
        await claimer.CompleteAsync(claimed.Lease);
        counter.Current = null;
        return new Script(claim.Steps, complete.Steps, agents[0], project, claimed.Lease.WorkItemId, claimed.Lease.AssignmentId, at);
    }

    /// <summary>The script's statements as text, for the report.</summary>
    public static string Describe(Script script) =>
        $"claim: {Describe(script.Claim)}; complete: {Describe(script.Complete)}";

    public static async Task<RunResult> ClaimAndCompleteAsync(string connectionString, Script script, Guid projectId, IReadOnlyList<Guid> agentIds)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var latencies = new ConcurrentBag<double[]>();
        var done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(agentIds.Select(agentId => Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            var claim = await Prepared.CreateAsync(connection, script.Claim);
            var complete = await Prepared.CreateAsync(connection, script.Complete);
            var mine = new List<double>();
            while (true)
            {
                var call = new Call(script, agentId, projectId);
                var started = Stopwatch.GetTimestamp();
                var row = await claim.RunAsync(connection, call);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                var item = row?.OfType<Guid>().FirstOrDefault(g => g != call.AssignmentId && g != agentId && g != projectId) ?? Guid.Empty;
                if (item == Guid.Empty)
                {
                    break;
                }

                call.WorkItemId = item;
                await complete.RunAsync(connection, call);
                Interlocked.Increment(ref done);
            }

            latencies.Add([.. mine]);
        })));
        watch.Stop();
        return new RunResult(done, watch.Elapsed, 0, [.. latencies.SelectMany(l => l)]);
    }

    private static string Describe(IReadOnlyList<RoundTripCounter.SentStep> steps)
    {
        // Consecutive round trips of one transaction (or of none) are told as one group.
        var groups = new List<(int? Transaction, List<int> Sizes)>();
        foreach (var step in steps)
        {
            if (groups.Count == 0 || groups[^1].Transaction != step.Transaction || step.Transaction is null)
            {
                groups.Add((step.Transaction, []));
            }

            groups[^1].Sizes.Add(step.Texts.Length);
        }

        return string.Join(", then ", groups.Select(g =>
            string.Join(" + ", g.Sizes.Select(n => n == 1 ? "1 command" : $"a batch of {n} statements"))
            + (g.Transaction is null ? " (no explicit transaction)" : $" in one transaction ({g.Sizes.Count} round trips + COMMIT)")));
    }

    /// <summary>The identities of one replayed claim + complete, and the values the captured ones map to.</summary>
    private sealed class Call(Script script, Guid agentId, Guid projectId)
    {
        private readonly Dictionary<Guid, Guid> fresh = [];

        // A claim without the caller's key carries one of the library's own, new per call: replaying the captured one
        // would make every claim after the first a replay of that first claim.
        private readonly string ownKey = "#auto:" + Guid.CreateVersion7().ToString("N");

        private readonly TimeSpan shift = DateTime.UtcNow - script.At;

        public Guid AssignmentId { get; } = Guid.CreateVersion7();

        public Guid WorkItemId { get; set; }

        public object? Map(object? value) => value switch
        {
            Guid g => Map(g),
            Guid[] ids => ids.Select(g => Map(g)).ToArray(),
            DateTime t => t.Add(shift),
            DateTimeOffset t => t.Add(shift),
            string s when DateTimeOffset.TryParseExact(s, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) => t.Add(shift).ToString("O", CultureInfo.InvariantCulture),
            string s when s.StartsWith("#auto:", StringComparison.Ordinal) => ownKey,
            string s => MapText(s),
            _ => value,
        };

        private Guid Map(Guid g)
        {
            if (g == script.AgentId)
            {
                return agentId;
            }

            if (g == script.ProjectId)
            {
                return projectId;
            }

            if (g == script.AssignmentId)
            {
                return AssignmentId;
            }

            if (g == script.WorkItemId && WorkItemId != Guid.Empty)
            {
                return WorkItemId;
            }

            if (!fresh.TryGetValue(g, out var id))
            {
                fresh[g] = id = Guid.CreateVersion7();
            }

            return id;
        }

        // JSON the library built (history entries, payloads) names the captured ids as text.
        private string MapText(string text)
        {
            foreach (var (from, to) in new[] { (script.AgentId, agentId), (script.ProjectId, projectId), (script.AssignmentId, AssignmentId), (script.WorkItemId, WorkItemId) })
            {
                if (to != Guid.Empty)
                {
                    text = text.Replace(from.ToString(), to.ToString(), StringComparison.OrdinalIgnoreCase);
                }
            }

            return text;
        }
    }

    /// <summary>A captured operation's round trips as prepared commands on one connection.</summary>
    private sealed class Prepared
    {
        private readonly List<(RoundTripCounter.SentStep Step, NpgsqlBatch? Batch, NpgsqlCommand? Command, bool StartsTransaction, bool EndsTransaction)> steps = [];

        public static async Task<Prepared> CreateAsync(NpgsqlConnection connection, IReadOnlyList<RoundTripCounter.SentStep> captured)
        {
            var prepared = new Prepared();
            for (var i = 0; i < captured.Count; i++)
            {
                var step = captured[i];
                var starts = step.Transaction is not null && (i == 0 || captured[i - 1].Transaction != step.Transaction);
                var ends = step.Transaction is not null && (i == captured.Count - 1 || captured[i + 1].Transaction != step.Transaction);
                if (step.Texts.Length == 1)
                {
                    var command = new NpgsqlCommand(step.Texts[0], connection);
                    command.Parameters.AddRange(step.Parameters[0].Select(p => p.Clone()).ToArray());
                    await command.PrepareAsync();
                    prepared.steps.Add((step, null, command, starts, ends));
                }
                else
                {
                    var batch = new NpgsqlBatch(connection);
                    for (var c = 0; c < step.Texts.Length; c++)
                    {
                        var batchCommand = new NpgsqlBatchCommand(step.Texts[c]);
                        batchCommand.Parameters.AddRange(step.Parameters[c].Select(p => p.Clone()).ToArray());
                        batch.BatchCommands.Add(batchCommand);
                    }

                    await batch.PrepareAsync();
                    prepared.steps.Add((step, batch, null, starts, ends));
                }
            }

            return prepared;
        }

        /// <summary>Runs every round trip; returns the last row read that holds an id (the claim's result), or null.</summary>
        public async Task<object[]?> RunAsync(NpgsqlConnection connection, Call call)
        {
            object[]? found = null;
            NpgsqlTransaction? transaction = null;
            foreach (var (step, batch, command, starts, ends) in steps)
            {
                if (starts)
                {
                    transaction = await connection.BeginTransactionAsync();
                }

                NpgsqlDataReader reader;
                if (command is not null)
                {
                    for (var p = 0; p < command.Parameters.Count; p++)
                    {
                        command.Parameters[p].Value = call.Map(step.Parameters[0][p].Value);
                    }

                    command.Transaction = transaction;
                    reader = await command.ExecuteReaderAsync();
                }
                else
                {
                    for (var c = 0; c < batch!.BatchCommands.Count; c++)
                    {
                        var parameters = batch.BatchCommands[c].Parameters;
                        for (var p = 0; p < parameters.Count; p++)
                        {
                            parameters[p].Value = call.Map(step.Parameters[c][p].Value);
                        }
                    }

                    batch.Transaction = transaction;
                    reader = await batch.ExecuteReaderAsync();
                }

                await using (reader)
                {
                    do
                    {
                        if (await reader.ReadAsync())
                        {
                            var row = new object[reader.FieldCount];
                            reader.GetValues(row);
                            if (row.OfType<Guid>().Any())
                            {
                                found = row;
                            }
                        }

                        while (await reader.ReadAsync())
                        {
                        }
                    }
                    while (await reader.NextResultAsync());
                }

                if (ends && transaction is not null)
                {
                    await transaction.CommitAsync();
                    await transaction.DisposeAsync();
                    transaction = null;
                }
            }

            return found;
        }
    }
}
