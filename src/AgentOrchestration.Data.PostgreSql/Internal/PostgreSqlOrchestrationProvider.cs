using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using AgentOrchestration.Data.Internal;
using AgentOrchestration.Data.PostgreSql.Internal;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

[assembly: OrchestrationProvider(typeof(PostgreSqlOrchestrationProvider))]

namespace AgentOrchestration.Data.PostgreSql.Internal;

/// <summary>PostgreSQL behaviour: advisory locks serialize writers of one scope across processes and machines.</summary>
internal sealed class PostgreSqlOrchestrationProvider : IOrchestrationProvider
{
    public async Task<IDbContextTransaction> BeginSerializedAsync(DbContext context, string scope, CancellationToken cancellationToken)
    {
        var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Released by the server at commit or rollback, even if this process dies.
            await context.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({AdvisoryKey(scope)})", cancellationToken).ConfigureAwait(false);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A stable 64-bit key for a scope name (the same in every process, unlike <see cref="string.GetHashCode()"/>).</summary>
    internal static long AdvisoryKey(string scope) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("agent-orchestration:" + scope)));
}
