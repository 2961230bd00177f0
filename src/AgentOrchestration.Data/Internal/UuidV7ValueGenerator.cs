using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.ValueGeneration;

namespace AgentOrchestration.Data.Internal;

/// <summary>Generates time-ordered UUID v7 keys, so new rows append to the end of B-tree indexes on both providers.</summary>
internal sealed class UuidV7ValueGenerator : ValueGenerator<Guid>
{
    public override bool GeneratesTemporaryValues => false;

    public override Guid Next(EntityEntry entry) => Guid.CreateVersion7();
}
