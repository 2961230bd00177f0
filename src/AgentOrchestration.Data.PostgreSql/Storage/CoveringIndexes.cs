using AgentOrchestration.Data.Configurations;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.PostgreSql.Storage;

/// <summary>The covering indexes' PostgreSQL form: what an index carries only to be read moves from the key to <c>INCLUDE</c>.</summary>
internal static class CoveringIndexes
{
    /// <summary>
    /// Work items by project and status keep (project, status, delegation status) as the key and the hours as INCLUDE
    /// columns: they are never searched or sorted on, and out of the key they stay off the upper levels of the B-tree.
    /// </summary>
    public static void Configure(ModelBuilder modelBuilder, SchemaNames names)
    {
        var workItems = modelBuilder.Entity<WorkItem>();
        var name = names.Index(WorkItemConfiguration.ProjectStatusIndex);
        var shared = workItems.Metadata.GetIndexes().Single(i => i.GetDatabaseName() == name);
        workItems.Metadata.RemoveIndex(shared);
        workItems.HasIndex(x => new { x.ProjectId, x.Status, x.DelegationStatus }).HasDatabaseName(name)
            .IncludeProperties(x => new { x.EstimatedHours, x.ActualHours });
    }
}
