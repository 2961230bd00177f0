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

    public static void Lease(WorkLease? lease) => Lease(lease, index: -1);

    /// <summary>The leases of one batch completion: each there and valid as <see cref="Lease(WorkLease?)"/> (named by its index), and each work item once.</summary>
    public static void Leases(IReadOnlyCollection<WorkLease>? leases)
    {
        ArgumentNullException.ThrowIfNull(leases);
        var seen = leases.Count > 1 ? new HashSet<Guid>(leases.Count) : null;
        var index = 0;
        foreach (var lease in leases)
        {
            if (lease is null)
            {
                throw new ArgumentException($"leases[{index}] is null: pass the lease of each claimed item.", nameof(leases));
            }

            Lease(lease, index);
            if (seen?.Add(lease.WorkItemId) == false)
            {
                var times = leases.Count(l => l?.WorkItemId == lease.WorkItemId);
                throw new ArgumentException($"The leases contain the work item '{lease.WorkItemId}' {times} times: complete each item once.", nameof(leases));
            }

            index++;
        }
    }

    /// <summary>One lease: <c>lease</c>, or <c>leases[i]</c> of a batch (the field names are built only for a refusal).</summary>
    private static void Lease(WorkLease? lease, int index)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (lease.WorkItemId != Guid.Empty && lease.AssignmentId != Guid.Empty && lease.FencingToken >= 1)
        {
            return;
        }

        var field = index < 0 ? "lease" : $"leases[{index}]";
        Input.Id(lease.WorkItemId, field + ".WorkItemId");
        Input.Id(lease.AssignmentId, field + ".AssignmentId");
        throw new ArgumentOutOfRangeException(field + ".FencingToken", lease.FencingToken, $"{field}.FencingToken {lease.FencingToken} is out of range. Allowed: 1 or more (the token a claim returned).");
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
