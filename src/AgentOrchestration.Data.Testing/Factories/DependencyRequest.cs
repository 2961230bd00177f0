using AgentOrchestration.Data.Work;

namespace AgentOrchestration.Data.Testing;

/// <summary>The arguments of <see cref="IWorkItemService.AddDependencyAsync"/> as one value: <paramref name="WorkItemId"/> waits until <paramref name="DependsOnId"/> is done.</summary>
/// <param name="WorkItemId">The item that waits.</param>
/// <param name="DependsOnId">The item it waits on, in the same project.</param>
public sealed record DependencyRequest(Guid WorkItemId, Guid DependsOnId);
