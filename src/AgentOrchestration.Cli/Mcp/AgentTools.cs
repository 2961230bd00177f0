using System.ComponentModel;
using AgentOrchestration.Cli.Hosting;
using AgentOrchestration.Cli.Output;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentOrchestration.Cli.Mcp;

/// <summary>
/// The MCP tools: the same operations, answers (the JSON of <c>--json</c>) and one-line refusals as the command line.
/// Kept few and terse on purpose: every tool's schema costs the agent tokens on every turn.
/// </summary>
[McpServerToolType]
internal sealed class AgentTools(Orchestration orchestration)
{
    [McpServerTool(Name = "claim_next"), Description("Atomically claim the next ready work item(s) for an agent. Returns {claimed:[{lease, work_item_id, fencing_token, title, lease_expires_at}]}; empty when nothing is ready. Keep the lease string: renew, complete and release take it.")]
    public Task<CallToolResult> ClaimNext(
        [Description("Agent slug or id; default the server's configured agent")] string? agent = null,
        [Description("How many items, 1-1000")] int batch = 1,
        [Description("Lease length in seconds (default 300)")] int? lease_seconds = null,
        [Description("Retry-safe key: reusing it returns what the first claim took")] string? idempotency_key = null,
        [Description("Implementing session key")] string? session = null,
        CancellationToken cancellationToken = default) =>
        Run(() => Operations.ClaimAsync(orchestration, agent, batch, Seconds(lease_seconds), idempotency_key, session, cancellationToken));

    [McpServerTool(Name = "renew_lease"), Description("Extend a claim's lease before it expires. Refused (lease_lost) if it already passed on: then stop working on the item.")]
    public Task<CallToolResult> RenewLease(
        [Description("The lease string from claim_next")] string lease,
        [Description("New length from now in seconds (default 300)")] int? lease_seconds = null,
        CancellationToken cancellationToken = default) =>
        Run(() => Operations.RenewAsync(orchestration, lease, Seconds(lease_seconds), cancellationToken));

    [McpServerTool(Name = "complete_work"), Description("Complete claimed work. Refused (qa_gate) while required QA results from another session are missing, naming what is missing.")]
    public Task<CallToolResult> CompleteWork([Description("The lease string from claim_next")] string lease, CancellationToken cancellationToken = default) =>
        Run(() => Operations.CompleteAsync(orchestration, lease, cancellationToken));

    [McpServerTool(Name = "release_work"), Description("Give claimed work back to the queue unfinished.")]
    public Task<CallToolResult> ReleaseWork([Description("The lease string from claim_next")] string lease, [Description("Why")] string? reason = null, CancellationToken cancellationToken = default) =>
        Run(() => Operations.ReleaseAsync(orchestration, lease, reason, cancellationToken));

    [McpServerTool(Name = "acquire_locks"), Description("Lock files or globs (src/**) for a session, all or none. Refused (conflict) naming the holder and expiry when another session's lock overlaps.")]
    public Task<CallToolResult> AcquireLocks(
        [Description("Repository-relative paths or globs")] string[] paths,
        [Description("Session key; default the server's AGENTS_SESSION")] string? session = null,
        [Description("Shared instead of exclusive")] bool shared = false,
        [Description("Time to live in seconds")] int ttl_seconds = 1800,
        CancellationToken cancellationToken = default) =>
        Run(() => Operations.AcquireAsync(orchestration, session, paths, shared, Seconds(ttl_seconds) ?? TimeSpan.Zero, cancellationToken));

    [McpServerTool(Name = "release_locks"), Description("Release a session's locks on the given paths (as acquired), or all of its locks when no paths are given.")]
    public Task<CallToolResult> ReleaseLocks(
        [Description("Paths as acquired; omit for all")] string[]? paths = null,
        [Description("Session key")] string? session = null,
        CancellationToken cancellationToken = default) =>
        Run(() => Operations.ReleaseLocksAsync(orchestration, session, paths ?? [], cancellationToken));

    [McpServerTool(Name = "check_locks", ReadOnly = true), Description("May these paths be written? Returns {writable, paths:[{path, writable, blocking:[{holder_session_id, expires_at, reason}]}]}.")]
    public Task<CallToolResult> CheckLocks(
        [Description("Paths to check")] string[] paths,
        [Description("The session about to write; without one every live lock is in the way")] string? session = null,
        CancellationToken cancellationToken = default) =>
        Run(() => Operations.CheckAsync(orchestration, session, paths, cancellationToken));

    [McpServerTool(Name = "heartbeat"), Description("Say the session is alive (and what it is doing); renews the leases of the work it owns.")]
    public Task<CallToolResult> Heartbeat(
        [Description("Session key")] string? session = null,
        [Description("What the agent is doing now")] string? current_action = null,
        [Description("Renew owned leases to at least now plus this many seconds")] int? lease_seconds = null,
        CancellationToken cancellationToken = default) =>
        Run(() => Operations.HeartbeatAsync(orchestration, session, current_action, Seconds(lease_seconds), cancellationToken));

    [McpServerTool(Name = "record_qa"), Description("Record a QA result for a task from a reviewing session (never the implementing one). A fail needs remediation and sends the work back.")]
    public Task<CallToolResult> RecordQa(
        [Description("The task or bug id")] string work_item_id,
        [Description("code_review, functional_test, mock_detection or success_criteria")] string qa_type,
        [Description("pass, fail or warning")] string status,
        [Description("Reviewing session key")] string? session = null,
        [Description("What must be fixed (required on fail)")] string? remediation = null,
        [Description("Findings, one message each")] string[]? findings = null,
        CancellationToken cancellationToken = default) =>
        Run(() => Operations.RecordQaAsync(orchestration, work_item_id, session, qa_type, status, remediation, findings ?? [], cancellationToken));

    [McpServerTool(Name = "ready_work", ReadOnly = true), Description("List ready work (unassigned todo tasks and bugs whose dependencies are done), highest priority first.")]
    public Task<CallToolResult> ReadyWork([Description("At most this many, 1-500")] int take = 20, CancellationToken cancellationToken = default) =>
        Run(async () => new { work_items = await Operations.ReadyAsync(orchestration, take, cancellationToken) });

    [McpServerTool(Name = "read_events", ReadOnly = true), Description("Read the event log after a position. Returns {events:[...], next_after}; pass next_after back to continue.")]
    public Task<CallToolResult> ReadEvents(
        [Description("Position to read after; 0 from the start")] long after = 0,
        [Description("At most this many, 1-1000")] int take = 100,
        CancellationToken cancellationToken = default) =>
        Run(() => Operations.EventsAsync(orchestration, after, take, cancellationToken));

    private static TimeSpan? Seconds(int? seconds) => seconds is { } s
        ? s > 0 ? TimeSpan.FromSeconds(s) : throw new InputException($"seconds {s} is not positive")
        : null;

    /// <summary>
    /// Every refusal becomes a tool error whose text is the command line's one-line reason, prefixed with its kind. The
    /// result is built here rather than by throwing, so the SDK adds no wrapper text of its own.
    /// </summary>
    private static async Task<CallToolResult> Run<T>(Func<Task<T>> operation)
    {
        try
        {
            return new CallToolResult { Content = [new TextContentBlock { Text = Printer.Serialize(await operation().ConfigureAwait(false)) }] };
        }
        catch (Exception exception)
        {
            var refusal = Refusal.From(exception);
            return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = $"{refusal.Kind}: {refusal.Message}" }] };
        }
    }
}
