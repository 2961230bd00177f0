using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Sessions;

namespace AgentOrchestration.Data.Validation;

/// <summary>The rules for claims, their options and the leases later writes present.</summary>
internal static class ClaimValidation
{
    public const int MaxBatch = 1000;

    public static void Claim(Guid agentId, Guid projectId, int maxItems, ClaimOptions? options)
    {
        Input.Id(agentId, nameof(agentId));
        Input.Id(projectId, nameof(projectId));
        Input.Range(maxItems, nameof(maxItems), 1, MaxBatch, "items one batch claims");
        if (options is null)
        {
            return;
        }

        Input.Duration(options.LeaseDuration, "options.LeaseDuration", ClaimOptions.MaxLeaseDuration);
        if (options.IdempotencyKey is { } key)
        {
            Input.Key(key, "options.IdempotencyKey", ClaimOptions.MaxIdempotencyKeyLength);
            if (key.Contains('#', StringComparison.Ordinal))
            {
                throw Input.Invalid("options.IdempotencyKey", key, "contains '#'", $"1 to {ClaimOptions.MaxIdempotencyKeyLength} characters on one line, without '#'");
            }
        }

        Input.OptionalName(options.Actor, "options.Actor", InputLimits.Actor);
        if (options.SessionId is not null)
        {
            SessionIds.ValidLookup(options.SessionId, "options.SessionId");
        }
    }

    public static void Lease(WorkLease? lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Input.Id(lease.WorkItemId, "lease.WorkItemId");
        Input.Id(lease.AssignmentId, "lease.AssignmentId");
        if (lease.FencingToken < 1)
        {
            throw new ArgumentOutOfRangeException("lease.FencingToken", lease.FencingToken, $"lease.FencingToken {lease.FencingToken} is out of range. Allowed: 1 or more (the token a claim returned).");
        }
    }

    public static void Renew(WorkLease? lease, TimeSpan? leaseDuration)
    {
        Lease(lease);
        if (leaseDuration is { } duration)
        {
            Input.Duration(duration, nameof(leaseDuration), ClaimOptions.MaxLeaseDuration);
        }
    }

    public static void Release(WorkLease? lease, string? reason)
    {
        Lease(lease);
        Input.Text(reason, nameof(reason), InputLimits.Note);
    }
}
