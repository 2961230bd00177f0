using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace AgentOrchestration.Data.Internal;

/// <summary>
/// What differs between databases, implemented in the provider packages (AgentOrchestration.Data.Sqlite and
/// AgentOrchestration.Data.PostgreSql) and found by <see cref="OrchestrationProviders"/> from the context's EF Core provider.
/// </summary>
internal interface IOrchestrationProvider
{
    /// <summary>
    /// Begins a transaction in which no other writer of the same <paramref name="scope"/> runs until it ends:
    /// SQLite takes the database write lock up front (<c>BEGIN IMMEDIATE</c>, retried asynchronously while busy);
    /// PostgreSQL takes a transaction-scoped advisory lock on the scope.
    /// </summary>
    /// <param name="context">The context whose connection runs the transaction.</param>
    /// <param name="scope">What to serialize on, such as <c>locks:{projectId}</c>.</param>
    /// <param name="cancellationToken">A token to cancel the wait.</param>
    /// <returns>The transaction; commit or dispose it.</returns>
    Task<IDbContextTransaction> BeginSerializedAsync(DbContext context, string scope, CancellationToken cancellationToken);
}
