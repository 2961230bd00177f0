using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>
/// Counts, per phase, the commands EF Core executes (a <see cref="DbCommandInterceptor"/>), the transactions it commits,
/// and on PostgreSQL every command or batch Npgsql sends (its ActivitySource), which also sees the claim's own NpgsqlBatch
/// that runs on EF's connection but not through EF.
/// </summary>
internal sealed class RoundTripCounter : IDisposable
{
    private readonly ActivityListener listener;

    public RoundTripCounter()
    {
        Commands = new CommandCounter(this);
        Transactions = new CommitCounter(this);
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = _ =>
            {
                if (Phase is { } phase)
                {
                    phase.NpgsqlActivities++;
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
    }

    public CommandCounter Commands { get; }

    public CommitCounter Transactions { get; }

    /// <summary>The phase being counted; <see langword="null"/> counts nothing. Counting is for one worker at a time.</summary>
    public PhaseCount? Phase { get; set; }

    public void Dispose() => listener.Dispose();

    /// <summary>What one phase (all claims, or all completes) sent.</summary>
    internal sealed class PhaseCount
    {
        public int Calls { get; set; }

        public int EfCommands { get; set; }

        public int Commits { get; set; }

        public int NpgsqlActivities { get; set; }
    }

    internal sealed class CommandCounter(RoundTripCounter owner) : DbCommandInterceptor
    {
        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Count();
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Count();
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Count();
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Count();
            return result;
        }

        public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
        {
            Count();
            return result;
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            Count();
            return result;
        }

        private void Count()
        {
            if (owner.Phase is { } phase)
            {
                phase.EfCommands++;
            }
        }
    }

    internal sealed class CommitCounter(RoundTripCounter owner) : DbTransactionInterceptor
    {
        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Count();
            return Task.CompletedTask;
        }

        public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Count();

        private void Count()
        {
            if (owner.Phase is { } phase)
            {
                phase.Commits++;
            }
        }
    }
}
