namespace AgentOrchestration.Data.Claims;

/// <summary>Options of a claim.</summary>
public sealed class ClaimOptions
{
    /// <summary>The longest lease a claim may ask for.</summary>
    public static readonly TimeSpan MaxLeaseDuration = TimeSpan.FromHours(24);

    /// <summary>Gets or sets how long the lease lasts unless renewed; 5 minutes by default, at most <see cref="MaxLeaseDuration"/>.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest idempotency key.</summary>
    public const int MaxIdempotencyKeyLength = 190;

    /// <summary>
    /// Gets or sets a key that makes the claim safe to retry: a claim by the same agent with a key it used before returns
    /// what that claim took instead of claiming more (for example after a timeout left the caller unsure). The key names
    /// one request: reusing it with another project, lease duration, session or number of items throws
    /// <see cref="IdempotencyKeyReusedException"/>. Keys compare exactly (ordinal, case-sensitive). At most
    /// <see cref="MaxIdempotencyKeyLength"/> characters, without <c>#</c>; <see langword="null"/> means no idempotency.
    /// </summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>Gets or sets who claims, as recorded in the history and events (1 to 200 characters, one line); the agent's id by default.</summary>
    public string? Actor { get; set; }

    /// <summary>
    /// Gets or sets the session that claims and will implement the work: it is recorded in
    /// <c>work_items.assigned_agent_session</c> (the session QA results must not come from, and whose oversight level decides
    /// the QA a task needs) and in <c>agent_sessions.task_id</c> (the first item of a batch). The session must exist, be
    /// active, belong to the project and, if it names an agent, to the claiming agent. <see langword="null"/> records no
    /// session (and clears one left by an expired holder).
    /// </summary>
    public string? SessionId { get; set; }
}
