using AgentOrchestration.Data.Work;

namespace MyHost;

/// <summary>A host's own code under test in docs/testing.md: the titles of a project's ready work, for a status page.</summary>
public sealed class ReadyWorkReport(IWorkItemService work)
{
    public async Task<IReadOnlyList<string>> TitlesAsync(Guid projectId, CancellationToken cancellationToken = default) =>
        [.. (await work.GetReadyWorkAsync(projectId, cancellationToken: cancellationToken)).Select(w => w.Title)];
}
