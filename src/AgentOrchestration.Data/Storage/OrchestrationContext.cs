using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Storage;

/// <summary>The context the library's services work through, whichever mode (turnkey or embedded) chose it.</summary>
internal sealed class OrchestrationContext(DbContext context)
{
    public DbContext Context { get; } = context;
}
