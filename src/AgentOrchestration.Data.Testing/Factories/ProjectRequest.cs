using AgentOrchestration.Data.Work;

namespace AgentOrchestration.Data.Testing;

/// <summary>The arguments of <see cref="IWorkItemService.CreateProjectAsync"/> as one value, so a factory can make it and a test can change one of them with <c>with</c>.</summary>
/// <param name="Key">The unique key: lowercase letters and digits in groups joined by single dashes, at most 64 characters.</param>
/// <param name="Name">The display name (1 to 200 characters).</param>
/// <param name="Description">An optional description.</param>
public sealed record ProjectRequest(string Key, string Name, string? Description = null);
