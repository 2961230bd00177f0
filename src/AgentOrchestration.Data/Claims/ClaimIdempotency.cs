using System.Globalization;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Claims;

/// <summary>
/// What an idempotency key is bound to: the request of the claim that first used it, stored on each of its
/// assignments (<c>task_assignments.idempotency_request</c>), so a retry is told apart from a different request that
/// reuses the key.
/// </summary>
internal static class ClaimIdempotency
{
    /// <summary>The shadow property (column <c>idempotency_request</c>) holding <see cref="Request.Format"/>.</summary>
    public const string RequestProperty = "IdempotencyRequest";

    /// <summary>Room for the project, items and lease, and the longest session key.</summary>
    public const int RequestLength = 320;

    /// <summary>The parts of a claim that decide what it takes: a retry must repeat every one of them.</summary>
    /// <param name="ProjectId">The project claimed in.</param>
    /// <param name="MaxItems">The most items (1 for <see cref="IWorkClaimer.ClaimNextAsync"/>).</param>
    /// <param name="LeaseDuration">The lease asked for.</param>
    /// <param name="SessionId">The implementing session, if any.</param>
    public sealed record Request(Guid ProjectId, int MaxItems, TimeSpan LeaseDuration, string? SessionId)
    {
        /// <summary>The stored form; the session goes last because session keys looked up may hold any character.</summary>
        public string Format() => string.Create(CultureInfo.InvariantCulture, $"project={ProjectId:D};items={MaxItems};lease={LeaseDuration.Ticks};session={SessionId}");

        public static Request? Parse(string? stored)
        {
            if (stored is null)
            {
                return null;
            }

            var parts = stored.Split(';', 4);
            string Value(int i, string name) => parts.Length > i && parts[i].StartsWith(name + "=", StringComparison.Ordinal)
                ? parts[i][(name.Length + 1)..]
                : throw new InvalidOperationException($"The stored idempotency request '{stored}' is not in the library's format.");
            var session = Value(3, "session");
            return new Request(
                Guid.Parse(Value(0, "project"), CultureInfo.InvariantCulture),
                int.Parse(Value(1, "items"), CultureInfo.InvariantCulture),
                TimeSpan.FromTicks(long.Parse(Value(2, "lease"), CultureInfo.InvariantCulture)),
                session.Length == 0 ? null : session);
        }
    }

    /// <summary>One assignment an earlier claim with the key made.</summary>
    public sealed record Earlier(
        Guid AssignmentId, Guid WorkItemId, long FencingToken, DateTimeOffset? LeaseExpiresAt, DateTimeOffset AssignedAt,
        Guid ProjectId, string Title, int Priority, string Key, string? Request);

    /// <summary>
    /// The agent's assignments made with <paramref name="key"/>: the key itself (one item) or <c>key#n</c> (a batch), in
    /// any project, compared byte for byte.
    /// </summary>
    public static async Task<List<Earlier>> FindAsync(DbContext db, Guid agentId, string key, CancellationToken cancellationToken)
    {
        var batchPrefix = key + "#";

        // The key index holds only assignments with a key: SQLite searches it for this OR of key tests only when the query
        // states the index's own predicate; without it SQLite reads every assignment of the agent.
        var rows = await db.Set<TaskAssignment>().AsNoTracking()
            .Where(a => a.AgentId == agentId && a.IdempotencyKey != null && (a.IdempotencyKey == key || a.IdempotencyKey.StartsWith(batchPrefix)))
            .Select(a => new Earlier(a.Id, a.WorkItemId, a.FencingToken, a.LeaseExpiresAt, a.AssignedAt, a.WorkItem!.ProjectId, a.WorkItem.Title,
                a.WorkItem.Priority, a.IdempotencyKey!, EF.Property<string?>(a, RequestProperty)))
            .ToListAsync(cancellationToken).ConfigureAwait(false);

        // SQLite translates StartsWith to LIKE, which ignores ASCII case: the database narrows, the exact match is here.
        return [.. rows.Where(r => string.Equals(r.Key, key, StringComparison.Ordinal) || r.Key.StartsWith(batchPrefix, StringComparison.Ordinal))];
    }

    /// <summary>Refuses <paramref name="now"/> when the key's first use (<paramref name="earlier"/>, not empty) was a different request.</summary>
    /// <exception cref="IdempotencyKeyReusedException">A part of the request differs.</exception>
    public static void EnsureSameRequest(Guid agentId, string key, IReadOnlyList<Earlier> earlier, Request now)
    {
        var differences = new List<string>();
        var first = earlier[0];
        var project = first.ProjectId;
        if (project != now.ProjectId)
        {
            differences.Add($"project: first '{project}', now '{now.ProjectId}'");
        }

        if (Request.Parse(first.Request) is { } stored)
        {
            if (stored.MaxItems != now.MaxItems)
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"items: first at most {stored.MaxItems}, now at most {now.MaxItems}"));
            }

            if (stored.LeaseDuration != now.LeaseDuration)
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"lease duration: first {stored.LeaseDuration:c}, now {now.LeaseDuration:c}"));
            }

            if (!string.Equals(stored.SessionId, now.SessionId, StringComparison.Ordinal))
            {
                differences.Add($"session: first {Describe(stored.SessionId)}, now {Describe(now.SessionId)}");
            }
        }
        else
        {
            // Claimed before requests were stored: only what the assignments themselves show can be compared.
            var wasBatch = first.Key.Length > key.Length;
            if (wasBatch != now.MaxItems > 1)
            {
                differences.Add(wasBatch ? "items: first a batch, now one item" : "items: first one item, now a batch");
            }
        }

        if (differences.Count > 0)
        {
            throw new IdempotencyKeyReusedException(agentId, key, differences);
        }
    }

    private static string Describe(string? sessionId) => sessionId is null ? "none" : $"'{sessionId}'";
}
