using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Storage;
using AgentOrchestration.Data.Validation;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Data.Agents;

/// <summary>The default <see cref="IAgentRegistry"/>.</summary>
internal sealed class AgentRegistry(OrchestrationContext orchestration, WriteTransactions writes, OrchestrationClock clock) : IAgentRegistry
{
    private static readonly Dictionary<AgentStatus, AgentStatus[]> Transitions = new()
    {
        [AgentStatus.Active] = [AgentStatus.Inactive, AgentStatus.Archived],
        [AgentStatus.Inactive] = [AgentStatus.Active, AgentStatus.Archived],
        [AgentStatus.Archived] = [],
    };

    private readonly DbContext db = orchestration.Context;

    public async Task<AgentProfile> RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken = default)
    {
        AgentValidation.Registration(registration);
        var now = clock.GetUtcNow();
        var capabilities = AgentValidation.Capabilities(registration.Capabilities);
        var agent = new AgentProfile
        {
            Name = registration.Name.Trim(),
            Slug = registration.Slug,
            Type = registration.Type.Trim(),
            Mode = registration.Mode.Trim(),
            Description = registration.Description,
            Capabilities = capabilities,
            Constraints = registration.Constraints,
            Tools = registration.Tools,
            Metadata = registration.Metadata,
            MaxConcurrentTasks = registration.MaxConcurrentTasks,
            Status = AgentStatus.Active,
            CreatedAt = now,
            UpdatedAt = now,
        };
        foreach (var capability in capabilities)
        {
            agent.CapabilityRecords.Add(new AgentCapability { Capability = capability.Name, Proficiency = capability.Proficiency, CreatedAt = now });
        }

        if (await db.Set<AgentProfile>().AnyAsync(a => a.Slug == agent.Slug, cancellationToken).ConfigureAwait(false))
        {
            throw new DuplicateValueException("agent", "slug", agent.Slug);
        }

        try
        {
            await writes.RunAsync("agent.register", LockScope.Agents, _ =>
            {
                db.Add(agent);
                Events.Append(db, now, OrchestrationEventTypes.AgentRegistered, null, "agent", agent.Id, agent.Slug);
                return Task.CompletedTask;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException)
        {
            if (await db.Set<AgentProfile>().AnyAsync(a => a.Slug == agent.Slug, cancellationToken).ConfigureAwait(false))
            {
                // Lost a race with another registration of the same slug: the unique index decided.
                throw new DuplicateValueException("agent", "slug", agent.Slug);
            }

            throw;
        }

        return agent;
    }

    public async Task<AgentProfile> GetAsync(string slug, CancellationToken cancellationToken = default)
    {
        AgentValidation.Slug(slug);
        return await db.Set<AgentProfile>().Include(a => a.CapabilityRecords).AsNoTracking()
            .SingleOrDefaultAsync(a => a.Slug == slug, cancellationToken).ConfigureAwait(false)
            ?? throw new EntityNotFoundException("agent", slug);
    }

    public async Task<AgentProfile> GetByIdAsync(Guid agentId, CancellationToken cancellationToken = default) =>
        await db.Set<AgentProfile>().Include(a => a.CapabilityRecords).AsNoTracking()
            .SingleOrDefaultAsync(a => a.Id == agentId, cancellationToken).ConfigureAwait(false)
            ?? throw new EntityNotFoundException("agent", agentId);

    public async Task<AgentProfile> UpdateAsync(string slug, AgentProfileUpdate update, CancellationToken cancellationToken = default)
    {
        AgentValidation.Update(slug, update);
        var name = update.Name?.Trim();
        var type = update.Type?.Trim();
        var mode = update.Mode?.Trim();
        return await ChangeAsync(slug, OrchestrationEventTypes.AgentUpdated, (agent, _) =>
        {
            if (agent.Status == AgentStatus.Archived)
            {
                throw new InvalidStateTransitionException("agent", agent.Slug, "archived", "updated", ["nothing: an archived profile is kept as it was"]);
            }

            agent.Name = name ?? agent.Name;
            agent.Type = type ?? agent.Type;
            agent.Mode = mode ?? agent.Mode;
            agent.Description = update.Description ?? agent.Description;
            agent.Constraints = update.Constraints ?? agent.Constraints;
            agent.Tools = update.Tools ?? agent.Tools;
            agent.Metadata = update.Metadata ?? agent.Metadata;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<AgentProfile> SetCapabilitiesAsync(string slug, IReadOnlyCollection<CapabilityEntry> capabilities, CancellationToken cancellationToken = default)
    {
        var normalised = AgentValidation.Capabilities(capabilities);
        return await ChangeAsync(slug, OrchestrationEventTypes.AgentCapabilitiesChanged, (agent, now) =>
        {
            agent.Capabilities = normalised;
            foreach (var record in agent.CapabilityRecords.Where(r => normalised.All(c => c.Name != r.Capability)).ToList())
            {
                agent.CapabilityRecords.Remove(record);
                db.Remove(record);
            }

            foreach (var capability in normalised)
            {
                var record = agent.CapabilityRecords.SingleOrDefault(r => r.Capability == capability.Name);
                if (record is null)
                {
                    agent.CapabilityRecords.Add(new AgentCapability { AgentId = agent.Id, Capability = capability.Name, Proficiency = capability.Proficiency, CreatedAt = now });
                }
                else
                {
                    record.Proficiency = capability.Proficiency;
                }
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<AgentProfile> SetConcurrencyLimitAsync(string slug, int maxConcurrentTasks, CancellationToken cancellationToken = default)
    {
        var limit = AgentValidation.Concurrency(maxConcurrentTasks);
        return await ChangeAsync(slug, OrchestrationEventTypes.AgentUpdated, (agent, _) => agent.MaxConcurrentTasks = limit, cancellationToken).ConfigureAwait(false);
    }

    public Task<AgentProfile> ActivateAsync(string slug, CancellationToken cancellationToken = default) => MoveAsync(slug, AgentStatus.Active, cancellationToken);

    public Task<AgentProfile> DeactivateAsync(string slug, CancellationToken cancellationToken = default) => MoveAsync(slug, AgentStatus.Inactive, cancellationToken);

    public Task<AgentProfile> ArchiveAsync(string slug, CancellationToken cancellationToken = default) => MoveAsync(slug, AgentStatus.Archived, cancellationToken);

    private Task<AgentProfile> MoveAsync(string slug, AgentStatus target, CancellationToken cancellationToken) =>
        ChangeAsync(slug, OrchestrationEventTypes.AgentStatusChanged, (agent, _) =>
        {
            if (!Transitions[agent.Status].Contains(target))
            {
                throw new InvalidStateTransitionException(
                    "agent", agent.Slug, StoredEnum.ToStore(agent.Status), StoredEnum.ToStore(target), Transitions[agent.Status].Select(StoredEnum.ToStore).ToList());
            }

            agent.Status = target;
        }, cancellationToken);

    private Task<AgentProfile> ChangeAsync(string slug, string eventType, Action<AgentProfile, DateTimeOffset> change, CancellationToken cancellationToken)
    {
        AgentValidation.Slug(slug);
        return writes.RunAsync(eventType, LockScope.Agents, async ct =>
        {
            var agent = await db.Set<AgentProfile>().Include(a => a.CapabilityRecords)
                .SingleOrDefaultAsync(a => a.Slug == slug, ct).ConfigureAwait(false)
                ?? throw new EntityNotFoundException("agent", slug);
            var now = clock.GetUtcNow();
            var before = StoredEnum.ToStore(agent.Status);
            change(agent, now);
            agent.UpdatedAt = now;
            Events.Append(db, now, eventType, null, "agent", agent.Id, agent.Slug,
                new EventPayload { From = before, To = StoredEnum.ToStore(agent.Status), AgentId = agent.Id });
            return agent;
        }, cancellationToken);
    }
}
