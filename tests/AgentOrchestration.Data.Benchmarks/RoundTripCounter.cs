using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using SQLitePCL;

namespace AgentOrchestration.Data.Benchmarks;

/// <summary>
/// Counts, per phase (one operation: claims, completes, heartbeats, ...), what the library sends to the database: on
/// PostgreSQL every command or batch Npgsql sends (its tracing, which also sees the library's own NpgsqlBatch on EF's
/// connection, not only EF's commands) and the commits of EF transactions (each a round trip of its own; Npgsql sends
/// BEGIN and savepoint creation with the next command); on SQLite every statement the engine runs (sqlite3_trace on each connection EF opens,
/// which also sees statements the library sends on that connection outside EF, BEGIN and COMMIT included). EF's own
/// commands are counted too. A phase can also keep the commands with their parameters, to replay them (see
/// <see cref="LibrarySqlReplay"/>).
/// </summary>
/// <remarks>Counting is for one caller at a time: the phase is global, and Npgsql's tracing is on while a counter lives.</remarks>
internal sealed class RoundTripCounter : IDisposable
{
    private static RoundTripCounter? current;
    private readonly ActivityListener listener;
    private readonly MeterListener meters = new();
    private long cacheHits;
    private long cacheMisses;
    private (long Hits, long Misses) phaseStart;
    private Phase? phase;

    // Npgsql reuses its transaction objects, so transactions are told apart by EF's begin events instead.
    private int transactionOrdinal;

    public RoundTripCounter()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(listener);

        // EF Core's query cache counters (cumulative, process-wide): LINQ queries run, and those compiled (cache misses).
        meters.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Microsoft.EntityFrameworkCore" && instrument.Name is HitsName or MissesName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => Observed(instrument.Name, value));
        meters.SetMeasurementEventCallback<int>((instrument, value, _, _) => Observed(instrument.Name, value));
        meters.Start();
        current = this;
        Interceptors = [new CommandCounter(this), new SqliteTracer(this), new TransactionCounter(this)];
    }

    /// <summary>The EF interceptors that count EF's commands and hook SQLite's statement trace.</summary>
    public IInterceptor[] Interceptors { get; }

    private const string HitsName = "microsoft.entityframeworkcore.compiled_query_cache_hits";
    private const string MissesName = "microsoft.entityframeworkcore.compiled_query_cache_misses";

    /// <summary>The phase being counted; <see langword="null"/> counts nothing.</summary>
    public Phase? Current
    {
        get => phase;
        set
        {
            meters.RecordObservableInstruments();
            if (phase is not null)
            {
                phase.LinqQueries += cacheHits + cacheMisses - phaseStart.Hits - phaseStart.Misses;
                phase.QueryCompilations += cacheMisses - phaseStart.Misses;
            }

            phaseStart = (cacheHits, cacheMisses);
            phase = value;
        }
    }

    /// <summary>Npgsql's tracing callbacks, for the data source of a counted context (<c>ConfigureDataSource</c>).</summary>
    public static void ConfigureTracing(NpgsqlDataSourceBuilder builder) =>
        builder.ConfigureTracing(t => t
            .ConfigureCommandEnrichmentCallback((_, command) => current?.Sent(command))
            .ConfigureBatchEnrichmentCallback((_, batch) => current?.Sent(batch)));

    public void Dispose()
    {
        if (current == this)
        {
            current = null;
        }

        listener.Dispose();
        meters.Dispose();
    }

    private void Observed(string name, long value)
    {
        if (name == HitsName)
        {
            cacheHits = value;
        }
        else if (name == MissesName)
        {
            cacheMisses = value;
        }
    }

    private void Sent(NpgsqlCommand command)
    {
        if (Current is not { } phase)
        {
            return;
        }

        phase.Record(command.Transaction is null ? null : transactionOrdinal, [command.CommandText], [[.. command.Parameters.Select(p => p.Clone())]]);
    }

    private void Sent(NpgsqlBatch batch)
    {
        if (Current is not { } phase)
        {
            return;
        }

        phase.Record(
            batch.Transaction is null ? null : transactionOrdinal,
            [.. batch.BatchCommands.Cast<NpgsqlBatchCommand>().Select(c => c.CommandText)],
            [.. batch.BatchCommands.Cast<NpgsqlBatchCommand>().Select(c => c.Parameters.Select(p => p.Clone()).ToArray())]);
    }

    /// <summary>What one operation's calls sent, added up.</summary>
    internal sealed class Phase(string operation, bool capture = false)
    {
        public string Operation { get; } = operation;

        public int Calls { get; set; }

        public int EfCommands { get; set; }

        /// <summary>PostgreSQL: commands and batches sent. SQLite: statements run.</summary>
        public int Sent { get; set; }

        /// <summary>PostgreSQL: EF transactions begun. SQLite: BEGINs run.</summary>
        public int Transactions { get; set; }

        /// <summary>PostgreSQL: EF transactions committed. SQLite: COMMITs run.</summary>
        public int Commits { get; set; }

        /// <summary>LINQ queries EF ran through its query pipeline (compiled-query cache lookups); plain SQL and EF.CompileAsyncQuery are not among them.</summary>
        public long LinqQueries { get; set; }

        /// <summary>LINQ queries EF had to compile (cache misses).</summary>
        public long QueryCompilations { get; set; }

        /// <summary>With capture on, what was sent, in order (PostgreSQL).</summary>
        public List<SentStep> Steps { get; } = [];

        public Results.RoundTrips Report(string provider, bool isPostgres)
        {
            double Per(int n) => Calls == 0 ? double.NaN : (double)n / Calls;
            var trips = isPostgres ? Sent + Commits : Sent;
            return new Results.RoundTrips(provider, Operation, Calls, Per(trips), Per(Sent), Per(EfCommands), Per(Commits), Per(Transactions), Per((int)LinqQueries), Per((int)QueryCompilations));
        }

        internal void Record(int? transaction, string[] texts, NpgsqlParameter[][] parameters)
        {
            Sent++;
            if (capture)
            {
                Steps.Add(new SentStep(texts, parameters, transaction));
            }
        }

        internal void Statement(string sql)
        {
            // Statements run by triggers are traced as comments; they are not separate statements of the caller.
            if (sql.StartsWith("--", StringComparison.Ordinal))
            {
                return;
            }

            Sent++;
            if (sql.StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase))
            {
                Transactions++;
            }
            else if (sql.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase) || sql.StartsWith("END", StringComparison.OrdinalIgnoreCase))
            {
                Commits++;
            }
        }
    }

    /// <summary>One round trip as sent: one command, or a batch of several, and the transaction it ran in (null: none).</summary>
    internal sealed record SentStep(string[] Texts, NpgsqlParameter[][] Parameters, int? Transaction);

    /// <summary>Counts EF's transactions (PostgreSQL; on SQLite the statement trace sees BEGIN and COMMIT).</summary>
    private sealed class TransactionCounter(RoundTripCounter owner) : DbTransactionInterceptor
    {
        public override ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
        {
            Started(connection);
            return ValueTask.FromResult(result);
        }

        public override DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
        {
            Started(connection);
            return result;
        }

        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Committed(transaction);
            return Task.CompletedTask;
        }

        public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(transaction);

        private void Started(DbConnection connection)
        {
            owner.transactionOrdinal++;
            if (connection is NpgsqlConnection && owner.Current is { } phase)
            {
                phase.Transactions++;
            }
        }

        private void Committed(DbTransaction transaction)
        {
            if (transaction is NpgsqlTransaction && owner.Current is { } phase)
            {
                phase.Commits++;
            }
        }
    }

    private sealed class CommandCounter(RoundTripCounter owner) : DbCommandInterceptor
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
            if (owner.Current is { } phase)
            {
                phase.EfCommands++;
            }
        }
    }

    /// <summary>Hooks SQLite's statement trace on every connection EF opens (pooled connections are hooked again, harmlessly).</summary>
    private sealed class SqliteTracer(RoundTripCounter owner) : DbConnectionInterceptor
    {
        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Hook(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Hook(connection);
            return Task.CompletedTask;
        }

        private void Hook(DbConnection connection)
        {
            if (connection is SqliteConnection { Handle: { } handle })
            {
                raw.sqlite3_trace(handle, (_, sql) => owner.Current?.Statement(sql.utf8_to_string()), null);
            }
        }
    }
}
