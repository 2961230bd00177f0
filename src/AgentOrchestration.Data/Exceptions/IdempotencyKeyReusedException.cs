namespace AgentOrchestration.Data;

/// <summary>
/// Thrown when a claim reuses an idempotency key that the same agent already used for a different request (another
/// project, lease duration, session or number of items): a key names one request, so a retry must repeat it exactly,
/// and a new request needs a new key. Nothing is claimed.
/// </summary>
public sealed class IdempotencyKeyReusedException : AgentOrchestrationException
{
    /// <summary>Initializes a new instance of the <see cref="IdempotencyKeyReusedException"/> class.</summary>
    /// <param name="agentId">The claiming agent.</param>
    /// <param name="idempotencyKey">The reused key.</param>
    /// <param name="differences">Each part of the request that differs from the key's first use, as <c>name: first …, now …</c>.</param>
    public IdempotencyKeyReusedException(Guid agentId, string idempotencyKey, IReadOnlyList<string> differences)
        : base($"The idempotency key '{idempotencyKey}' of agent '{agentId}' was first used for a different claim ({string.Join("; ", differences)}). A retry must repeat the first request exactly; use a new key for a new request.")
    {
        AgentId = agentId;
        IdempotencyKey = idempotencyKey;
        Differences = differences;
    }

    /// <summary>Gets the claiming agent.</summary>
    public Guid AgentId { get; }

    /// <summary>Gets the reused key.</summary>
    public string IdempotencyKey { get; }

    /// <summary>Gets each part of the request that differs from the key's first use, as <c>name: first …, now …</c>.</summary>
    public IReadOnlyList<string> Differences { get; }
}
