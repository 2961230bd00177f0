using AgentOrchestration.Data.Internal;
using AgentOrchestration.Data.Sqlite.Claims;
using AgentOrchestration.Data.Sqlite.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

[assembly: OrchestrationProvider(typeof(SqliteOrchestrationProvider))]

namespace AgentOrchestration.Data.Sqlite.Internal;

/// <summary>SQLite behaviour: one writer per database, so serializing means taking the write lock up front.</summary>
internal sealed class SqliteOrchestrationProvider : IOrchestrationProvider
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    public async Task<IDbContextTransaction> BeginSerializedAsync(DbContext context, string scope, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite begins non-deferred transactions as BEGIN IMMEDIATE: the write lock is taken now, not at
        // the first write, so two writers never both read then write.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException exception) when (exception.SqliteErrorCode is SqliteBusy or SqliteLocked)
            {
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task<IDbContextTransaction> BeginWorkItemTransactionAsync(DbContext context, Guid workItemId, CancellationToken cancellationToken) =>
        BeginSerializedAsync(context, "work-item", cancellationToken);

    public Task<IReadOnlyList<ClaimRow>> ClaimAsync(DbContext context, ClaimRequest request, CancellationToken cancellationToken) =>
        SqliteClaimStrategy.ClaimAsync(context, this, request, cancellationToken);

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(100, 2 << Math.Min(attempt, 5)) * (0.5 + Random.Shared.NextDouble()));
}
