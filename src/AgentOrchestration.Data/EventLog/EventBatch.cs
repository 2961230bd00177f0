using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.EventLog;

/// <summary>A page of the event log, where reading stopped, and whether committed events wait behind an older running transaction.</summary>
internal sealed record EventBatch(IReadOnlyList<OrchestrationEvent> Events, EventCursor Next, bool HeldBack);
