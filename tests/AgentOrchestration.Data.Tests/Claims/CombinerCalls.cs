using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Claims;

/// <summary>What the combiner tests share to pin their interleavings: a claimer call in a DI scope of its own, and a host transaction holding an agent's row.</summary>
internal static class CombinerCalls
{
    /// <summary>Runs <paramref name="call"/> in a DI scope of its own; returns once it is sent or queued (its synchronous part ran).</summary>
    public static Task<T> InScope<T>(IServiceProvider services, Func<IWorkClaimer, Task<T>> call)
    {
        var scope = services.CreateAsyncScope();
        Task<T> running;
        try
        {
            running = call(scope.ServiceProvider.GetRequiredService<IWorkClaimer>());
        }
        catch (Exception exception)
        {
            running = Task.FromException<T>(exception);
        }

        return EndScopeAfterAsync(scope, running);
    }

    /// <summary>Holds <paramref name="agent"/>'s row lock from <paramref name="db"/> (which it disposes) until disposed, so the agent's claim waits in flight.</summary>
    public static Task<IAsyncDisposable> HoldAgentAsync(AgentOrchestrationDbContext db, AgentProfile agent) => HoldRowAsync<AgentProfile>(db, agent.Id);

    /// <summary>Holds the row lock of the <typeparamref name="TEntity"/> with key <paramref name="id"/> from <paramref name="db"/> (which it disposes) until disposed.</summary>
    public static async Task<IAsyncDisposable> HoldRowAsync<TEntity>(AgentOrchestrationDbContext db, Guid id)
    {
        var transaction = await db.Database.BeginTransactionAsync();
        var table = db.Model.FindEntityType(typeof(TEntity))!;
        var key = table.FindPrimaryKey()!.Properties.Single().GetColumnName();
        var name = $"{(table.GetSchema() is { } schema ? $"\"{schema}\"." : "")}\"{table.GetTableName()}\"";
        await db.Database.ExecuteSqlRawAsync($"SELECT 1 FROM {name} WHERE \"{key}\" = {{0}} FOR UPDATE", id);
        return new Holder(db, transaction);
    }

    private static async Task<T> EndScopeAfterAsync<T>(AsyncServiceScope scope, Task<T> running)
    {
        try
        {
            return await running;
        }
        finally
        {
            await scope.DisposeAsync();
        }
    }

    private sealed class Holder(AgentOrchestrationDbContext db, IDbContextTransaction transaction) : IAsyncDisposable
    {
        private bool ended;

        public async ValueTask DisposeAsync()
        {
            if (ended)
            {
                return;
            }

            ended = true;
            await transaction.CommitAsync();
            await transaction.DisposeAsync();
            await db.DisposeAsync();
        }
    }
}
