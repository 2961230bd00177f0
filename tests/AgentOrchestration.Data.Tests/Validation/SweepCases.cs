using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Backlog;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Delegation;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;
using AgentOrchestration.Data.Sprints;
using AgentOrchestration.Data.Testing;
using AgentOrchestration.Data.Validation;
using AgentOrchestration.Data.Work;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Validation;

/// <summary>
/// One bad call: <see cref="Field"/> is the field an <see cref="ArgumentException"/> must name (its parameter name starts
/// with it); <see langword="null"/> means a reference the library refuses with its own typed exception (another
/// project's row, a deleted row) or an argument exception.
/// </summary>
public sealed record SweepCase(string Name, string? Field, Func<IServiceProvider, Task> Call);

/// <summary>
/// Every public mutation, called with a valid request from <see cref="OrchestrationFaker"/> in which exactly one field is
/// broken in each of the ways <see cref="Breaks"/> knows for that kind of field.
/// </summary>
public sealed class SweepCases(OrchestrationFaker faker, Breaks breaks, SweepWorld world)
{
    public IEnumerable<SweepCase> All() =>
        Agents().Concat(Projects()).Concat(WorkItems()).Concat(Dependencies()).Concat(Sprints()).Concat(Backlog())
            .Concat(Sessions()).Concat(Locks()).Concat(Qa()).Concat(Claims()).Concat(Delegation());

    private static T S<T>(IServiceProvider sp)
        where T : notnull => sp.GetRequiredService<T>();

    private static SweepCase Case(string name, string? field, Func<IServiceProvider, Task> call) => new(name, field, call);

    private IEnumerable<SweepCase> Agents()
    {
        const string register = "IAgentRegistry.RegisterAsync";
        foreach (var b in breaks.OneLine(InputLimits.Name))
        {
            yield return Case($"{register} Name {b.Label}", "registration.Name", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Name = b.Value!)));
        }

        foreach (var b in breaks.Slug(InputLimits.Slug))
        {
            yield return Case($"{register} Slug {b.Label}", "registration.Slug", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Slug = b.Value!)));
            yield return Case($"IAgentRegistry.UpdateAsync slug {b.Label}", "slug", sp => S<IAgentRegistry>(sp).UpdateAsync(b.Value!, new AgentProfileUpdate { Name = "x" }));
            yield return Case($"IAgentRegistry.ActivateAsync slug {b.Label}", "slug", sp => S<IAgentRegistry>(sp).ActivateAsync(b.Value!));
            yield return Case($"IAgentRegistry.DeactivateAsync slug {b.Label}", "slug", sp => S<IAgentRegistry>(sp).DeactivateAsync(b.Value!));
            yield return Case($"IAgentRegistry.ArchiveAsync slug {b.Label}", "slug", sp => S<IAgentRegistry>(sp).ArchiveAsync(b.Value!));
        }

        foreach (var b in breaks.OneLine(InputLimits.AgentType))
        {
            yield return Case($"{register} Type {b.Label}", "registration.Type", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Type = b.Value!)));
        }

        foreach (var b in breaks.OneLine(InputLimits.AgentType, optional: true))
        {
            yield return Case($"IAgentRegistry.UpdateAsync Type {b.Label}", "update.Type", sp => S<IAgentRegistry>(sp).UpdateAsync(world.Agent.Slug, new AgentProfileUpdate { Type = b.Value }));
        }

        foreach (var b in breaks.OneLine(InputLimits.AgentMode))
        {
            yield return Case($"{register} Mode {b.Label}", "registration.Mode", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Mode = b.Value!)));
        }

        foreach (var b in breaks.OneLine(InputLimits.Name, optional: true))
        {
            yield return Case($"IAgentRegistry.UpdateAsync Name {b.Label}", "update.Name", sp => S<IAgentRegistry>(sp).UpdateAsync(world.Agent.Slug, new AgentProfileUpdate { Name = b.Value }));
        }

        foreach (var b in breaks.FreeText(InputLimits.Text))
        {
            yield return Case($"{register} Description {b.Label}", "registration.Description", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Description = b.Value)));
            yield return Case($"IAgentRegistry.UpdateAsync Description {b.Label}", "update.Description", sp => S<IAgentRegistry>(sp).UpdateAsync(world.Agent.Slug, new AgentProfileUpdate { Description = b.Value }));
        }

        foreach (var b in breaks.Number(1, InputLimits.MaxConcurrency))
        {
            yield return Case($"{register} MaxConcurrentTasks {b.Label}", "registration.MaxConcurrentTasks", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.MaxConcurrentTasks = b.Value)));
            yield return Case($"IAgentRegistry.SetConcurrencyLimitAsync {b.Label}", "maxConcurrentTasks", sp => S<IAgentRegistry>(sp).SetConcurrencyLimitAsync(world.Agent.Slug, b.Value));
        }

        // Capabilities: the list, its entries, their names and proficiencies.
        yield return Case($"{register} Capabilities null", "registration.Capabilities", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Capabilities = null!)));
        yield return Case("IAgentRegistry.SetCapabilitiesAsync null", "capabilities", sp => S<IAgentRegistry>(sp).SetCapabilitiesAsync(world.Agent.Slug, null!));
        yield return Case($"{register} Capabilities null entry", "registration.Capabilities", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Capabilities = [.. r.Capabilities, null!])));
        yield return Case("IAgentRegistry.SetCapabilitiesAsync null entry", "capabilities", sp => S<IAgentRegistry>(sp).SetCapabilitiesAsync(world.Agent.Slug, [new CapabilityEntry { Name = "sql" }, null!]));
        yield return Case($"{register} Capabilities listed twice", "registration.Capabilities", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Capabilities = [new CapabilityEntry { Name = "sql" }, new CapabilityEntry { Name = " SQL " }])));
        foreach (var b in breaks.OneLine(InputLimits.Capability))
        {
            yield return Case($"{register} Capabilities[0].Name {b.Label}", "registration.Capabilities[0].Name", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Capabilities = [new CapabilityEntry { Name = b.Value!, Proficiency = 3 }])));
            yield return Case($"IAgentRegistry.SetCapabilitiesAsync [0].Name {b.Label}", "capabilities[0].Name", sp => S<IAgentRegistry>(sp).SetCapabilitiesAsync(world.Agent.Slug, [new CapabilityEntry { Name = b.Value!, Proficiency = 3 }]));
        }

        foreach (var b in breaks.Number(1, 5))
        {
            yield return Case($"{register} Capabilities[0].Proficiency {b.Label}", "registration.Capabilities[0].Proficiency", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Capabilities = [new CapabilityEntry { Name = "sql", Proficiency = b.Value }])));
        }

        // JSON columns: a null entry, or an entry without its name, would break every later read of the agent.
        yield return Case($"{register} Tools null entry", "registration.Tools", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Tools = [.. r.Tools!, null!])));
        yield return Case("IAgentRegistry.UpdateAsync Tools null entry", "update.Tools", sp => S<IAgentRegistry>(sp).UpdateAsync(world.Agent.Slug, new AgentProfileUpdate { Tools = [null!] }));
        yield return Case($"{register} Metadata null entry", "registration.Metadata", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Metadata = [null!, .. r.Metadata!])));
        yield return Case("IAgentRegistry.UpdateAsync Metadata null entry", "update.Metadata", sp => S<IAgentRegistry>(sp).UpdateAsync(world.Agent.Slug, new AgentProfileUpdate { Metadata = [null!] }));
        yield return Case($"{register} Constraints.Rules null entry", "registration.Constraints.Rules", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Constraints!.Rules.Add(null!))));
        yield return Case($"{register} Constraints.Rules null", "registration.Constraints.Rules", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Constraints!.Rules = null!)));
        yield return Case($"{register} Constraints.AllowedPaths null entry", "registration.Constraints.AllowedPaths", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Constraints!.AllowedPaths.Add(null!))));
        yield return Case($"{register} Constraints.ForbiddenPaths null", "registration.Constraints.ForbiddenPaths", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Constraints!.ForbiddenPaths = null!)));
        foreach (var b in breaks.Hours())
        {
            yield return Case($"{register} Constraints.MaxHoursPerTask {b.Label}", "registration.Constraints.MaxHoursPerTask", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Constraints!.MaxHoursPerTask = b.Value)));
        }

        foreach (var b in breaks.OneLine(InputLimits.Name))
        {
            yield return Case($"{register} Tools[0].Name {b.Label}", "registration.Tools[0].Name", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Tools = [new AgentTool { Name = b.Value! }])));
            yield return Case($"{register} Metadata[0].Key {b.Label}", "registration.Metadata[0].Key", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Metadata = [new MetadataEntry { Key = b.Value!, Value = "v" }])));
        }

        foreach (var b in breaks.FreeText(InputLimits.Text))
        {
            yield return Case($"{register} Metadata[0].Value {b.Label}", "registration.Metadata[0].Value", sp => S<IAgentRegistry>(sp).RegisterAsync(faker.Agent(r => r.Metadata = [new MetadataEntry { Key = "k", Value = b.Value }])));
        }

        yield return Case($"{register} null", "registration", sp => S<IAgentRegistry>(sp).RegisterAsync(null!));
        yield return Case("IAgentRegistry.UpdateAsync null", "update", sp => S<IAgentRegistry>(sp).UpdateAsync(world.Agent.Slug, null!));
    }

    private IEnumerable<SweepCase> Projects()
    {
        const string create = "IWorkItemService.CreateProjectAsync";
        foreach (var b in breaks.Slug(InputLimits.ProjectKey))
        {
            yield return Case($"{create} key {b.Label}", "key", sp => S<IWorkItemService>(sp).CreateProjectAsync(faker.Project() with { Key = b.Value! }));
        }

        foreach (var b in breaks.OneLine(InputLimits.Name))
        {
            yield return Case($"{create} name {b.Label}", "name", sp => S<IWorkItemService>(sp).CreateProjectAsync(faker.Project() with { Name = b.Value! }));
        }

        foreach (var b in breaks.FreeText(InputLimits.Text))
        {
            yield return Case($"{create} description {b.Label}", "description", sp => S<IWorkItemService>(sp).CreateProjectAsync(faker.Project() with { Description = b.Value }));
        }
    }

    private IEnumerable<SweepCase> WorkItems()
    {
        const string create = "IWorkItemService.CreateWorkItemAsync";
        foreach (var type in Enum.GetValues<WorkItemType>())
        {
            NewWorkItem Valid(Action<NewWorkItem> configure) => faker.WorkItem(world.A.Id, type, ParentFor(type), configure);
            Task Create(IServiceProvider sp, Action<NewWorkItem> configure) => S<IWorkItemService>(sp).CreateWorkItemAsync(Valid(configure));
            var name = $"{create} {type}";
            foreach (var b in breaks.OneLine(InputLimits.Title))
            {
                yield return Case($"{name} Title {b.Label}", "item.Title", sp => Create(sp, i => i.Title = b.Value!));
            }

            foreach (var b in breaks.FreeText(InputLimits.Text))
            {
                yield return Case($"{name} Description {b.Label}", "item.Description", sp => Create(sp, i => i.Description = b.Value));
                yield return Case($"{name} SuccessCriteria {b.Label}", "item.SuccessCriteria", sp => Create(sp, i => i.SuccessCriteria = b.Value));
            }

            foreach (var b in breaks.Number(1, 5))
            {
                yield return Case($"{name} Priority {b.Label}", "item.Priority", sp => Create(sp, i => i.Priority = b.Value));
            }

            foreach (var b in breaks.Hours())
            {
                yield return Case($"{name} EstimatedHours {b.Label}", "item.EstimatedHours", sp => Create(sp, i => i.EstimatedHours = b.Value));
            }

            yield return Case($"{name} RequiredCapabilities null", "item.RequiredCapabilities", sp => Create(sp, i => i.RequiredCapabilities = null!));
            yield return Case($"{name} RequiredCapabilities null entry", "item.RequiredCapabilities", sp => Create(sp, i => i.RequiredCapabilities = ["sql", null!]));
            foreach (var b in breaks.OneLine(InputLimits.Capability))
            {
                yield return Case($"{name} RequiredCapabilities[0] {b.Label}", "item.RequiredCapabilities[0]", sp => Create(sp, i => i.RequiredCapabilities = [b.Value!]));
            }

            yield return Case($"{name} ProjectId Guid.Empty", "item.ProjectId", sp => Create(sp, i => i.ProjectId = Guid.Empty));
            yield return Case($"{name} ProjectId deleted or unknown", null, sp => Create(sp, i => i.ProjectId = Guid.NewGuid()));
            yield return Case($"{name} SprintId Guid.Empty", "item.SprintId", sp => Create(sp, i => i.SprintId = Guid.Empty));
            yield return Case($"{name} SprintId of project B", null, sp => Create(sp, i => i.SprintId = world.SprintB.Id));
            yield return Case($"{name} SprintId deleted", null, sp => Create(sp, i => i.SprintId = world.DeletedSprint));
            yield return Case($"{name} ParentId Guid.Empty", "item.ParentId", sp => Create(sp, i => i.ParentId = Guid.Empty));
            yield return Case($"{name} ParentId deleted", type == WorkItemType.Epic ? "item.ParentId" : null, sp => Create(sp, i => i.ParentId = world.DeletedItem));
            foreach (var b in breaks.Enum<WorkItemType>())
            {
                yield return Case($"{name} Type {b.Label}", "item.Type", sp => Create(sp, i => i.Type = b.Value));
            }

            // Parents of the wrong kind: every kind of item that is not an allowed parent of this type.
            foreach (var (parentType, parent) in new[] { (WorkItemType.Epic, world.EpicA), (WorkItemType.Story, world.StoryA), (WorkItemType.Task, world.TaskA) })
            {
                var allowed = type switch
                {
                    WorkItemType.Story => parentType == WorkItemType.Epic,
                    WorkItemType.Task or WorkItemType.Bug => parentType is WorkItemType.Epic or WorkItemType.Story,
                    _ => false,
                };
                if (!allowed)
                {
                    yield return Case($"{name} under a {parentType}", "item.ParentId", sp => Create(sp, i => i.ParentId = parent.Id));
                }
            }

            if (type != WorkItemType.Epic)
            {
                var parentB = type == WorkItemType.Story ? world.EpicB : world.StoryB;
                yield return Case($"{name} ParentId of project B", null, sp => Create(sp, i => i.ParentId = parentB.Id));
            }
        }

        yield return Case($"{create} null", "item", sp => S<IWorkItemService>(sp).CreateWorkItemAsync(null!));
    }

    private Guid? ParentFor(WorkItemType type) => type switch
    {
        WorkItemType.Epic => null,
        WorkItemType.Story => world.EpicA.Id,
        _ => world.StoryA.Id,
    };

    private IEnumerable<SweepCase> Dependencies()
    {
        foreach (var (label, waiting, awaited, field) in new (string, Guid, Guid, string?)[]
        {
            ("workItemId Guid.Empty", Guid.Empty, world.TaskA.Id, "workItemId"),
            ("dependsOnId Guid.Empty", world.TaskA.Id, Guid.Empty, "dependsOnId"),
            ("on project B's item", world.TaskA.Id, world.TaskB.Id, null),
            ("on a deleted item", world.TaskA.Id, world.DeletedItem, null),
            ("of a deleted item", world.DeletedItem, world.TaskA.Id, null),
            ("on itself", world.TaskA.Id, world.TaskA.Id, null),
        })
        {
            yield return Case($"IWorkItemService.AddDependencyAsync {label}", field, sp => S<IWorkItemService>(sp).AddDependencyAsync(new DependencyRequest(waiting, awaited)));
            if (field is not null)
            {
                yield return Case($"IWorkItemService.RemoveDependencyAsync {label}", field, sp => S<IWorkItemService>(sp).RemoveDependencyAsync(waiting, awaited));
            }
        }
    }

    private IEnumerable<SweepCase> Sprints()
    {
        const string plan = "ISprintService.PlanAsync";
        foreach (var b in breaks.OneLine(InputLimits.Name))
        {
            yield return Case($"{plan} Name {b.Label}", "plan.Name", sp => S<ISprintService>(sp).PlanAsync(faker.Sprint(world.A.Id) with { Name = b.Value! }));
        }

        foreach (var b in breaks.FreeText(InputLimits.Text))
        {
            yield return Case($"{plan} Goal {b.Label}", "plan.Goal", sp => S<ISprintService>(sp).PlanAsync(faker.Sprint(world.A.Id) with { Goal = b.Value }));
        }

        foreach (var b in breaks.OneLine(InputLimits.Actor, optional: true))
        {
            yield return Case($"{plan} Actor {b.Label}", "plan.Actor", sp => S<ISprintService>(sp).PlanAsync(faker.Sprint(world.A.Id) with { Actor = b.Value }));
            yield return Case($"ISprintService.StartAsync actor {b.Label}", "actor", sp => S<ISprintService>(sp).StartAsync(world.SprintA.Id, b.Value));
            yield return Case($"ISprintService.CompleteAsync actor {b.Label}", "actor", sp => S<ISprintService>(sp).CompleteAsync(world.SprintA.Id, b.Value));
            yield return Case($"ISprintService.AddWorkAsync actor {b.Label}", "actor", sp => S<ISprintService>(sp).AddWorkAsync(world.SprintA.Id, [world.TaskA.Id], b.Value));
        }

        var now = DateTimeOffset.UtcNow;
        yield return Case($"{plan} EndsAt before StartsAt", "plan.EndsAt", sp => S<ISprintService>(sp).PlanAsync(faker.Sprint(world.A.Id) with { StartsAt = now, EndsAt = now.AddDays(-1) }));
        yield return Case($"{plan} ProjectId Guid.Empty", "plan.ProjectId", sp => S<ISprintService>(sp).PlanAsync(faker.Sprint(Guid.Empty)));
        yield return Case($"{plan} ProjectId unknown", null, sp => S<ISprintService>(sp).PlanAsync(faker.Sprint(Guid.NewGuid())));
        yield return Case($"{plan} null", "plan", sp => S<ISprintService>(sp).PlanAsync(null!));
        foreach (var (label, id, field) in new (string, Guid, string?)[] { ("Guid.Empty", Guid.Empty, "sprintId"), ("deleted", world.DeletedSprint, null) })
        {
            yield return Case($"ISprintService.StartAsync sprintId {label}", field, sp => S<ISprintService>(sp).StartAsync(id));
            yield return Case($"ISprintService.CompleteAsync sprintId {label}", field, sp => S<ISprintService>(sp).CompleteAsync(id));
            yield return Case($"ISprintService.AddWorkAsync sprintId {label}", field, sp => S<ISprintService>(sp).AddWorkAsync(id, [world.TaskA.Id]));
            yield return Case($"ISprintService.RemoveWorkAsync sprintId {label}", field, sp => S<ISprintService>(sp).RemoveWorkAsync(id, [world.TaskA.Id]));
        }

        yield return Case("ISprintService.AddWorkAsync workItemIds null", "workItemIds", sp => S<ISprintService>(sp).AddWorkAsync(world.SprintA.Id, null!));
        yield return Case("ISprintService.AddWorkAsync workItemIds empty", "workItemIds", sp => S<ISprintService>(sp).AddWorkAsync(world.SprintA.Id, []));
        yield return Case("ISprintService.AddWorkAsync workItemIds Guid.Empty entry", "workItemIds[1]", sp => S<ISprintService>(sp).AddWorkAsync(world.SprintA.Id, [world.TaskA.Id, Guid.Empty]));
        yield return Case("ISprintService.AddWorkAsync project B's item", null, sp => S<ISprintService>(sp).AddWorkAsync(world.SprintA.Id, [world.TaskA.Id, world.TaskB.Id]));
        yield return Case("ISprintService.AddWorkAsync a deleted item", null, sp => S<ISprintService>(sp).AddWorkAsync(world.SprintA.Id, [world.TaskA.Id, world.DeletedItem]));
        yield return Case("ISprintService.RemoveWorkAsync workItemIds Guid.Empty entry", "workItemIds[0]", sp => S<ISprintService>(sp).RemoveWorkAsync(world.SprintA.Id, [Guid.Empty]));
    }

    private IEnumerable<SweepCase> Backlog()
    {
        const string submit = "IBacklogService.SubmitAsync";
        BacklogSubmission Valid() => faker.BacklogSubmission(world.A.Id);
        foreach (var b in breaks.OneLine(InputLimits.Title))
        {
            yield return Case($"{submit} Title {b.Label}", "submission.Title", sp => S<IBacklogService>(sp).SubmitAsync(Valid() with { Title = b.Value! }));
        }

        foreach (var b in breaks.FreeText(BacklogSubmission.MaxTextLength, required: true))
        {
            yield return Case($"{submit} Description {b.Label}", "submission.Description", sp => S<IBacklogService>(sp).SubmitAsync(Valid() with { Description = b.Value! }));
            yield return Case($"{submit} SuccessCriteria {b.Label}", "submission.SuccessCriteria", sp => S<IBacklogService>(sp).SubmitAsync(Valid() with { SuccessCriteria = b.Value! }));
        }

        foreach (var b in breaks.OneLine(InputLimits.Actor))
        {
            yield return Case($"{submit} CreatedBy {b.Label}", "submission.CreatedBy", sp => S<IBacklogService>(sp).SubmitAsync(Valid() with { CreatedBy = b.Value! }));
            yield return Case($"IBacklogService.StartAnalysisAsync agent {b.Label}", "agent", sp => S<IBacklogService>(sp).StartAnalysisAsync(world.Ready.Id, b.Value!));
            yield return Case($"IBacklogService.RecordAnalysisAsync Agent {b.Label}", "analysis.Agent", sp => S<IBacklogService>(sp).RecordAnalysisAsync(world.Analysing.Id, faker.BacklogAnalysis(b.Value!)));
            yield return Case($"IBacklogService.MarkReadyAsync agent {b.Label}", "agent", sp => S<IBacklogService>(sp).MarkReadyAsync(world.Analysing.Id, b.Value!));
            yield return Case($"IBacklogService.BlockAsync agent {b.Label}", "agent", sp => S<IBacklogService>(sp).BlockAsync(world.Analysing.Id, b.Value!, "waits on the API"));
            yield return Case($"IBacklogService.ReleaseAsync agent {b.Label}", "agent", sp => S<IBacklogService>(sp).ReleaseAsync(world.Analysing.Id, b.Value!));
            yield return Case($"IBacklogService.PromoteAsync Agent {b.Label}", "promotion.Agent", sp => S<IBacklogService>(sp).PromoteAsync(world.Ready.Id, faker.BacklogPromotion(b.Value!)));
            yield return Case($"IBacklogService.ApproveStoryAsync agent {b.Label}", "agent", sp => S<IBacklogService>(sp).ApproveStoryAsync(world.StoryA.Id, b.Value!));
        }

        foreach (var b in breaks.Number(1, 5))
        {
            yield return Case($"{submit} Priority {b.Label}", "submission.Priority", sp => S<IBacklogService>(sp).SubmitAsync(Valid() with { Priority = b.Value }));
        }

        foreach (var b in breaks.Number(1, 10))
        {
            yield return Case($"{submit} BusinessValue {b.Label}", "submission.BusinessValue", sp => S<IBacklogService>(sp).SubmitAsync(Valid() with { BusinessValue = b.Value }));
        }

        foreach (var b in breaks.Enum<Complexity>())
        {
            yield return Case($"{submit} Complexity {b.Label}", "submission.Complexity", sp => S<IBacklogService>(sp).SubmitAsync(Valid() with { Complexity = b.Value }));
            yield return Case($"IBacklogService.RecordAnalysisAsync Complexity {b.Label}", "analysis.Complexity", sp => S<IBacklogService>(sp).RecordAnalysisAsync(world.Analysing.Id, faker.BacklogAnalysis(SweepWorld.Analyst) with { Complexity = b.Value }));
        }

        foreach (var b in breaks.Number(0, 100))
        {
            yield return Case($"IBacklogService.RecordAnalysisAsync RiskScore {b.Label}", "analysis.RiskScore", sp => S<IBacklogService>(sp).RecordAnalysisAsync(world.Analysing.Id, faker.BacklogAnalysis(SweepWorld.Analyst) with { RiskScore = b.Value }));
        }

        foreach (var b in breaks.FreeText(BacklogSubmission.MaxTextLength))
        {
            yield return Case($"IBacklogService.RecordAnalysisAsync PrimeNotes {b.Label}", "analysis.PrimeNotes", sp => S<IBacklogService>(sp).RecordAnalysisAsync(world.Analysing.Id, faker.BacklogAnalysis(SweepWorld.Analyst) with { PrimeNotes = b.Value }));
        }

        foreach (var b in breaks.FreeText(InputLimits.Note))
        {
            yield return Case($"IBacklogService.MarkReadyAsync note {b.Label}", "note", sp => S<IBacklogService>(sp).MarkReadyAsync(world.Analysing.Id, SweepWorld.Analyst, b.Value));
            yield return Case($"IBacklogService.ReleaseAsync reason {b.Label}", "reason", sp => S<IBacklogService>(sp).ReleaseAsync(world.Analysing.Id, SweepWorld.Analyst, b.Value));
        }

        foreach (var b in breaks.FreeText(InputLimits.Note, required: true))
        {
            yield return Case($"IBacklogService.BlockAsync reason {b.Label}", "reason", sp => S<IBacklogService>(sp).BlockAsync(world.Analysing.Id, SweepWorld.Analyst, b.Value!));
        }

        foreach (var b in breaks.Hours())
        {
            yield return Case($"IBacklogService.PromoteAsync EstimatedHours {b.Label}", "promotion.EstimatedHours", sp => S<IBacklogService>(sp).PromoteAsync(world.Ready.Id, faker.BacklogPromotion(SweepWorld.Analyst) with { EstimatedHours = b.Value }));
        }

        yield return Case($"{submit} ProjectId Guid.Empty", "submission.ProjectId", sp => S<IBacklogService>(sp).SubmitAsync(Valid() with { ProjectId = Guid.Empty }));
        yield return Case($"{submit} ProjectId unknown", null, sp => S<IBacklogService>(sp).SubmitAsync(Valid() with { ProjectId = Guid.NewGuid() }));
        yield return Case($"{submit} null", "submission", sp => S<IBacklogService>(sp).SubmitAsync(null!));
        yield return Case("IBacklogService.RecordAnalysisAsync null", "analysis", sp => S<IBacklogService>(sp).RecordAnalysisAsync(world.Analysing.Id, null!));
        yield return Case("IBacklogService.PromoteAsync null", "promotion", sp => S<IBacklogService>(sp).PromoteAsync(world.Ready.Id, null!));
        yield return Case("IBacklogService.PromoteAsync EpicId Guid.Empty", "promotion.EpicId", sp => S<IBacklogService>(sp).PromoteAsync(world.Ready.Id, faker.BacklogPromotion(SweepWorld.Analyst) with { EpicId = Guid.Empty }));
        yield return Case("IBacklogService.PromoteAsync EpicId of project B", null, sp => S<IBacklogService>(sp).PromoteAsync(world.Ready.Id, faker.BacklogPromotion(SweepWorld.Analyst) with { EpicId = world.EpicB.Id }));
        yield return Case("IBacklogService.PromoteAsync EpicId a story", null, sp => S<IBacklogService>(sp).PromoteAsync(world.Ready.Id, faker.BacklogPromotion(SweepWorld.Analyst) with { EpicId = world.StoryA.Id }));
        yield return Case("IBacklogService.PromoteAsync EpicId deleted", null, sp => S<IBacklogService>(sp).PromoteAsync(world.Ready.Id, faker.BacklogPromotion(SweepWorld.Analyst) with { EpicId = world.DeletedItem }));
        yield return Case("IBacklogService.PromoteAsync SprintId Guid.Empty", "promotion.SprintId", sp => S<IBacklogService>(sp).PromoteAsync(world.Ready.Id, faker.BacklogPromotion(SweepWorld.Analyst) with { SprintId = Guid.Empty }));
        yield return Case("IBacklogService.PromoteAsync SprintId of project B", null, sp => S<IBacklogService>(sp).PromoteAsync(world.Ready.Id, faker.BacklogPromotion(SweepWorld.Analyst) with { SprintId = world.SprintB.Id }));
        yield return Case("IBacklogService.PromoteAsync SprintId deleted", null, sp => S<IBacklogService>(sp).PromoteAsync(world.Ready.Id, faker.BacklogPromotion(SweepWorld.Analyst) with { SprintId = world.DeletedSprint }));
        yield return Case("IBacklogService.ApproveStoryAsync a task", null, sp => S<IBacklogService>(sp).ApproveStoryAsync(world.TaskA.Id, SweepWorld.Analyst));
        foreach (var (label, id, field) in new (string, Guid, string?)[] { ("Guid.Empty", Guid.Empty, "backlogItemId"), ("deleted", world.DeletedBacklogItem, null) })
        {
            yield return Case($"IBacklogService.StartAnalysisAsync backlogItemId {label}", field, sp => S<IBacklogService>(sp).StartAnalysisAsync(id, SweepWorld.Analyst));
            yield return Case($"IBacklogService.RecordAnalysisAsync backlogItemId {label}", field, sp => S<IBacklogService>(sp).RecordAnalysisAsync(id, faker.BacklogAnalysis(SweepWorld.Analyst)));
            yield return Case($"IBacklogService.MarkReadyAsync backlogItemId {label}", field, sp => S<IBacklogService>(sp).MarkReadyAsync(id, SweepWorld.Analyst));
            yield return Case($"IBacklogService.BlockAsync backlogItemId {label}", field, sp => S<IBacklogService>(sp).BlockAsync(id, SweepWorld.Analyst, "blocked"));
            yield return Case($"IBacklogService.ReleaseAsync backlogItemId {label}", field, sp => S<IBacklogService>(sp).ReleaseAsync(id, SweepWorld.Analyst));
            yield return Case($"IBacklogService.PromoteAsync backlogItemId {label}", field, sp => S<IBacklogService>(sp).PromoteAsync(id, faker.BacklogPromotion(SweepWorld.Analyst)));
        }

        yield return Case("IBacklogService.ApproveStoryAsync storyId Guid.Empty", "storyId", sp => S<IBacklogService>(sp).ApproveStoryAsync(Guid.Empty, SweepWorld.Analyst));
        yield return Case("IBacklogService.ApproveStoryAsync storyId deleted", null, sp => S<IBacklogService>(sp).ApproveStoryAsync(world.DeletedItem, SweepWorld.Analyst));
    }

    private IEnumerable<SweepCase> Sessions()
    {
        const string start = "ISessionService.StartAsync";
        SessionStart Valid() => faker.Session(world.A.Id);
        foreach (var b in breaks.SessionKey(InputLimits.SessionId, optional: true).Concat([
            new Broken<string?>("leading dash", "-" + breaks.Word()), new Broken<string?>("space", breaks.Word() + " 1"), new Broken<string?>("non-ASCII", breaks.Word() + "\u00E9")]))
        {
            yield return Case($"{start} SessionId {b.Label}", "start.SessionId", sp => S<ISessionService>(sp).StartAsync(Valid() with { SessionId = b.Value }));
        }

        foreach (var b in breaks.SessionKey(InputLimits.SessionId))
        {
            yield return Case($"ISessionService.HeartbeatAsync sessionId {b.Label}", "sessionId", sp => S<ISessionService>(sp).HeartbeatAsync(b.Value!));
            yield return Case($"ISessionService.PauseAsync sessionId {b.Label}", "sessionId", sp => S<ISessionService>(sp).PauseAsync(b.Value!));
            yield return Case($"ISessionService.ResumeAsync sessionId {b.Label}", "sessionId", sp => S<ISessionService>(sp).ResumeAsync(b.Value!));
            yield return Case($"ISessionService.EndAsync sessionId {b.Label}", "sessionId", sp => S<ISessionService>(sp).EndAsync(b.Value!, SessionStatus.Completed));
        }

        foreach (var b in breaks.FreeText(InputLimits.Note))
        {
            yield return Case($"{start} CurrentAction {b.Label}", "start.CurrentAction", sp => S<ISessionService>(sp).StartAsync(Valid() with { CurrentAction = b.Value }));
            yield return Case($"ISessionService.HeartbeatAsync currentAction {b.Label}", "currentAction", sp => S<ISessionService>(sp).HeartbeatAsync(world.SessionA.SessionId, b.Value));
            yield return Case($"ISessionService.PauseAsync reason {b.Label}", "reason", sp => S<ISessionService>(sp).PauseAsync(world.SessionA.SessionId, b.Value));
            yield return Case($"ISessionService.EndAsync reason {b.Label}", "reason", sp => S<ISessionService>(sp).EndAsync(world.SessionA.SessionId, SessionStatus.Completed, b.Value));
        }

        foreach (var b in breaks.Number(0, SessionStart.MaxRiskLevel))
        {
            yield return Case($"{start} RiskLevel {b.Label}", "start.RiskLevel", sp => S<ISessionService>(sp).StartAsync(Valid() with { RiskLevel = b.Value }));
        }

        foreach (var b in breaks.Enum<SessionAgentType>())
        {
            yield return Case($"{start} AgentType {b.Label}", "start.AgentType", sp => S<ISessionService>(sp).StartAsync(Valid() with { AgentType = b.Value }));
        }

        foreach (var b in breaks.Enum<OversightLevel>())
        {
            yield return Case($"{start} OversightLevel {b.Label}", "start.OversightLevel", sp => S<ISessionService>(sp).StartAsync(Valid() with { OversightLevel = b.Value }));
        }

        foreach (var b in breaks.Enum<SessionStatus>().Concat([new Broken<SessionStatus>("active (not an end state)", SessionStatus.Active), new Broken<SessionStatus>("paused (not an end state)", SessionStatus.Paused)]))
        {
            yield return Case($"ISessionService.EndAsync outcome {b.Label}", "outcome", sp => S<ISessionService>(sp).EndAsync(world.SessionA.SessionId, b.Value));
        }

        foreach (var b in breaks.Duration(ClaimOptions.MaxLeaseDuration))
        {
            yield return Case($"ISessionService.HeartbeatAsync leaseDuration {b.Label}", "leaseDuration", sp => S<ISessionService>(sp).HeartbeatAsync(world.SessionA.SessionId, leaseDuration: b.Value));
        }

        yield return Case($"{start} ProjectId Guid.Empty", "start.ProjectId", sp => S<ISessionService>(sp).StartAsync(faker.Session(Guid.Empty)));
        yield return Case($"{start} ProjectId unknown", null, sp => S<ISessionService>(sp).StartAsync(faker.Session(Guid.NewGuid())));
        yield return Case($"{start} AgentId Guid.Empty", "start.AgentId", sp => S<ISessionService>(sp).StartAsync(Valid() with { AgentId = Guid.Empty }));
        yield return Case($"{start} AgentId unknown", null, sp => S<ISessionService>(sp).StartAsync(Valid() with { AgentId = Guid.NewGuid() }));
        foreach (var (field, b, deleted, wrongKind) in new (string, Guid, Guid, Guid)[]
        {
            ("ParentStoryId", world.StoryB.Id, world.DeletedItem, world.TaskA.Id),
            ("TaskId", world.TaskB.Id, world.DeletedItem, world.StoryA.Id),
            ("BacklogId", Guid.Empty, world.DeletedBacklogItem, Guid.Empty),
        })
        {
            SessionStart With(Guid id) => field switch
            {
                "ParentStoryId" => Valid() with { ParentStoryId = id },
                "TaskId" => Valid() with { TaskId = id },
                _ => Valid() with { BacklogId = id },
            };
            yield return Case($"{start} {field} Guid.Empty", "start." + field, sp => S<ISessionService>(sp).StartAsync(With(Guid.Empty)));
            yield return Case($"{start} {field} deleted", null, sp => S<ISessionService>(sp).StartAsync(With(deleted)));
            if (b != Guid.Empty)
            {
                yield return Case($"{start} {field} of project B", null, sp => S<ISessionService>(sp).StartAsync(With(b)));
                yield return Case($"{start} {field} of the wrong kind", null, sp => S<ISessionService>(sp).StartAsync(With(wrongKind)));
            }
        }

        yield return Case($"{start} SessionId taken", null, sp => S<ISessionService>(sp).StartAsync(Valid() with { SessionId = world.SessionA.SessionId }));
        yield return Case($"{start} null", "start", sp => S<ISessionService>(sp).StartAsync(null!));
    }

    private IEnumerable<SweepCase> Locks()
    {
        const string acquire = "IFileLockService.AcquireAsync";
        LockRequest Valid() => faker.Locks(world.SessionA.SessionId);
        foreach (var b in breaks.SessionKey(InputLimits.SessionId))
        {
            yield return Case($"{acquire} sessionId {b.Label}", "sessionId", sp => S<IFileLockService>(sp).AcquireAsync(Valid() with { SessionId = b.Value! }));
            yield return Case($"IFileLockService.RenewAsync sessionId {b.Label}", "sessionId", sp => S<IFileLockService>(sp).RenewAsync(b.Value!, TimeSpan.FromMinutes(5)));
            yield return Case($"IFileLockService.ReleaseAsync sessionId {b.Label}", "sessionId", sp => S<IFileLockService>(sp).ReleaseAsync(b.Value!, world.LockedPaths.ToList()));
            yield return Case($"IFileLockService.ReleaseAllAsync sessionId {b.Label}", "sessionId", sp => S<IFileLockService>(sp).ReleaseAllAsync(b.Value!));
        }

        var paths = breaks.OneLine(FileLockConfigurationPathLength).Where(b => b.Label is not ("white space" or "tab")).Concat([
            new Broken<string?>("absolute", "/etc/passwd"),
            new Broken<string?>("drive letter", "C:\\src\\app.cs"),
            new Broken<string?>("escapes the project", "src/../../secrets.txt"),
            new Broken<string?>("segment ending in a dot", "src/app./x.cs"),
            new Broken<string?>("segment ending in a space", "src/app /x.cs"),
            new Broken<string?>("the project root", "./"),
            new Broken<string?>("white space", "   "),
        ]);
        foreach (var b in paths)
        {
            yield return Case($"{acquire} paths[1] {b.Label}", "paths[1]", sp => S<IFileLockService>(sp).AcquireAsync(Valid() with { Paths = ["src/ok.cs", b.Value!] }));
            yield return Case($"IFileLockService.ReleaseAsync paths[0] {b.Label}", "paths[0]", sp => S<IFileLockService>(sp).ReleaseAsync(world.SessionA.SessionId, [b.Value!]));
        }

        yield return Case($"{acquire} paths null", "paths", sp => S<IFileLockService>(sp).AcquireAsync(world.SessionA.SessionId, null!, FileLockType.Exclusive, TimeSpan.FromMinutes(5)));
        yield return Case($"{acquire} paths empty", "paths", sp => S<IFileLockService>(sp).AcquireAsync(Valid() with { Paths = [] }));
        yield return Case($"{acquire} 1001 paths", "paths", sp => S<IFileLockService>(sp).AcquireAsync(Valid() with { Paths = [.. Enumerable.Range(0, FileLockLimits.MaxPathsPerCall + 1).Select(i => $"src/f{i}.cs")] }));
        foreach (var b in breaks.Enum<FileLockType>())
        {
            yield return Case($"{acquire} lockType {b.Label}", "lockType", sp => S<IFileLockService>(sp).AcquireAsync(Valid() with { LockType = b.Value }));
        }

        foreach (var b in breaks.Duration(FileLockLimits.MaxTtl))
        {
            yield return Case($"{acquire} ttl {b.Label}", "ttl", sp => S<IFileLockService>(sp).AcquireAsync(Valid() with { Ttl = b.Value }));
            yield return Case($"IFileLockService.RenewAsync ttl {b.Label}", "ttl", sp => S<IFileLockService>(sp).RenewAsync(world.SessionA.SessionId, b.Value));
        }

        yield return Case($"{acquire} a session that does not exist", null, sp => S<IFileLockService>(sp).AcquireAsync(Valid() with { SessionId = "no-such-session" }));
    }

    private const int FileLockConfigurationPathLength = LockPath.MaxLength;

    private IEnumerable<SweepCase> Qa()
    {
        const string record = "IQaService.RecordResultAsync";
        NewQaResult Valid() => faker.QaResult(world.Claim.Lease.WorkItemId, world.ReviewerA.SessionId);
        foreach (var b in breaks.SessionKey(InputLimits.SessionId))
        {
            yield return Case($"{record} SessionId {b.Label}", "result.SessionId", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { SessionId = b.Value! }));
            yield return Case($"IQaService.StartQaAsync sessionId {b.Label}", "sessionId", sp => S<IQaService>(sp).StartQaAsync(world.Claim.Lease.WorkItemId, b.Value!));
        }

        foreach (var b in breaks.Enum<QaType>())
        {
            yield return Case($"{record} QaType {b.Label}", "result.QaType", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { QaType = b.Value }));
        }

        foreach (var b in breaks.Enum<QaResultStatus>())
        {
            yield return Case($"{record} Status {b.Label}", "result.Status", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { Status = b.Value }));
        }

        foreach (var b in breaks.FreeText(NewQaResult.MaxRemediationLength))
        {
            yield return Case($"{record} RemediationNeeded {b.Label}", "result.RemediationNeeded", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { RemediationNeeded = b.Value }));
        }

        foreach (var b in breaks.FreeText(NewQaResult.MaxRemediationLength, required: true))
        {
            yield return Case($"{record} RemediationNeeded of a fail {b.Label}", "result.RemediationNeeded", sp => S<IQaService>(sp).RecordResultAsync(
                faker.QaResult(world.Claim.Lease.WorkItemId, world.ReviewerA.SessionId, status: QaResultStatus.Fail) with { RemediationNeeded = b.Value }));
        }

        foreach (var b in breaks.FreeText(InputLimits.Note, required: true))
        {
            yield return Case($"{record} Findings[0].Message {b.Label}", "result.Findings[0].Message", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { Findings = [new QaFinding { Message = b.Value! }] }));
            yield return Case($"{record} MockViolations[0].Description {b.Label}", "result.MockViolations[0].Description", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { MockViolations = [new MockViolation { Description = b.Value! }] }));
        }

        foreach (var b in breaks.OneLine(InputLimits.Note, optional: true))
        {
            yield return Case($"{record} Findings[0].File {b.Label}", "result.Findings[0].File", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { Findings = [new QaFinding { Message = "m", File = b.Value }] }));
        }

        foreach (var b in breaks.OneLine(InputLimits.Actor, optional: true))
        {
            yield return Case($"{record} Actor {b.Label}", "result.Actor", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { Actor = b.Value }));
        }

        yield return Case($"{record} Findings null entry", "result.Findings", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { Findings = [null!] }));
        yield return Case($"{record} MockViolations null entry", "result.MockViolations", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { MockViolations = [new MockViolation { Description = "d" }, null!] }));
        yield return Case($"{record} Findings[0].Line 0", "result.Findings[0].Line", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { Findings = [new QaFinding { Message = "m", Line = 0 }] }));
        yield return Case($"{record} 501 findings", "result.Findings", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { Findings = [.. Enumerable.Range(0, NewQaResult.MaxEntries + 1).Select(i => new QaFinding { Message = $"m{i}" })] }));
        yield return Case($"{record} success criteria met contradicts a fail", "result.SuccessCriteriaMet", sp => S<IQaService>(sp).RecordResultAsync(
            faker.QaResult(world.Claim.Lease.WorkItemId, world.ReviewerA.SessionId, QaType.SuccessCriteria, QaResultStatus.Fail) with { SuccessCriteriaMet = true }));
        yield return Case($"{record} TaskId Guid.Empty", "result.TaskId", sp => S<IQaService>(sp).RecordResultAsync(Valid() with { TaskId = Guid.Empty }));
        yield return Case($"{record} TaskId deleted", null, sp => S<IQaService>(sp).RecordResultAsync(Valid() with { TaskId = world.DeletedItem }));
        yield return Case($"{record} TaskId a story", null, sp => S<IQaService>(sp).RecordResultAsync(Valid() with { TaskId = world.StoryA.Id }));
        yield return Case($"{record} TaskId of project B", null, sp => S<IQaService>(sp).RecordResultAsync(Valid() with { TaskId = world.TaskB.Id }));
        yield return Case($"{record} by the implementing session", null, sp => S<IQaService>(sp).RecordResultAsync(Valid() with { SessionId = world.SessionA.SessionId }));
        yield return Case($"{record} null", "result", sp => S<IQaService>(sp).RecordResultAsync(null!));
        yield return Case("IQaService.StartQaAsync taskId Guid.Empty", "taskId", sp => S<IQaService>(sp).StartQaAsync(Guid.Empty, world.ReviewerA.SessionId));
        yield return Case("IQaService.StartQaAsync taskId deleted", null, sp => S<IQaService>(sp).StartQaAsync(world.DeletedItem, world.ReviewerA.SessionId));
    }

    private IEnumerable<SweepCase> Claims()
    {
        const string claim = "IWorkClaimer.ClaimNextAsync";
        Task Claim(IServiceProvider sp, ClaimOptions options) => S<IWorkClaimer>(sp).ClaimNextAsync(world.Agent.Id, world.A.Id, options);
        foreach (var b in breaks.OneLine(InputLimits.Actor, optional: true))
        {
            yield return Case($"{claim} Actor {b.Label}", "options.Actor", sp => Claim(sp, new ClaimOptions { Actor = b.Value }));
        }

        foreach (var b in breaks.Key(ClaimOptions.MaxIdempotencyKeyLength, optional: true).Append(new Broken<string?>("with '#'", "retry#1")))
        {
            yield return Case($"{claim} IdempotencyKey {b.Label}", "options.IdempotencyKey", sp => Claim(sp, new ClaimOptions { IdempotencyKey = b.Value }));
        }

        foreach (var b in breaks.SessionKey(InputLimits.SessionId, optional: true))
        {
            yield return Case($"{claim} SessionId {b.Label}", "options.SessionId", sp => Claim(sp, new ClaimOptions { SessionId = b.Value }));
        }

        foreach (var b in breaks.Duration(ClaimOptions.MaxLeaseDuration))
        {
            yield return Case($"{claim} LeaseDuration {b.Label}", "options.LeaseDuration", sp => Claim(sp, new ClaimOptions { LeaseDuration = b.Value }));
            yield return Case($"IWorkClaimer.RenewAsync leaseDuration {b.Label}", "leaseDuration", sp => S<IWorkClaimer>(sp).RenewAsync(world.Claim.Lease, b.Value));
        }

        foreach (var b in breaks.Number(1, ClaimValidation.MaxBatch))
        {
            yield return Case($"IWorkClaimer.ClaimBatchAsync maxItems {b.Label}", "maxItems", sp => S<IWorkClaimer>(sp).ClaimBatchAsync(world.Agent.Id, world.A.Id, b.Value));
        }

        yield return Case($"{claim} agentId Guid.Empty", "agentId", sp => S<IWorkClaimer>(sp).ClaimNextAsync(Guid.Empty, world.A.Id));
        yield return Case($"{claim} projectId Guid.Empty", "projectId", sp => S<IWorkClaimer>(sp).ClaimNextAsync(world.Agent.Id, Guid.Empty));
        yield return Case($"{claim} agent unknown", null, sp => S<IWorkClaimer>(sp).ClaimNextAsync(Guid.NewGuid(), world.A.Id));
        yield return Case($"{claim} project unknown", null, sp => S<IWorkClaimer>(sp).ClaimNextAsync(world.Agent.Id, Guid.NewGuid()));
        yield return Case($"{claim} session of project B", null, sp => Claim(sp, new ClaimOptions { SessionId = world.SessionB.SessionId }));
        yield return Case($"{claim} session that does not exist", null, sp => Claim(sp, new ClaimOptions { SessionId = "no-such-session" }));

        var lease = world.Claim.Lease;
        foreach (var (label, broken, field) in new (string, WorkLease?, string?)[]
        {
            ("null", null, "lease"),
            ("WorkItemId Guid.Empty", lease with { WorkItemId = Guid.Empty }, "lease.WorkItemId"),
            ("AssignmentId Guid.Empty", lease with { AssignmentId = Guid.Empty }, "lease.AssignmentId"),
            ("FencingToken 0", lease with { FencingToken = 0 }, "lease.FencingToken"),
            ("FencingToken negative", lease with { FencingToken = long.MinValue }, "lease.FencingToken"),
            ("a deleted item", lease with { WorkItemId = world.DeletedItem }, null),
            ("project B's item", lease with { WorkItemId = world.TaskB.Id }, null),
            ("an unknown assignment", lease with { AssignmentId = Guid.NewGuid() }, null),
            ("a later token", lease with { FencingToken = lease.FencingToken + 1 }, null),
        })
        {
            yield return Case($"IWorkClaimer.RenewAsync lease {label}", field, sp => S<IWorkClaimer>(sp).RenewAsync(broken!));
            yield return Case($"IWorkClaimer.ReleaseAsync lease {label}", field, sp => S<IWorkClaimer>(sp).ReleaseAsync(broken!));
            yield return Case($"IWorkClaimer.CompleteAsync lease {label}", field, sp => S<IWorkClaimer>(sp).CompleteAsync(broken!));
        }

        foreach (var b in breaks.FreeText(InputLimits.Note))
        {
            yield return Case($"IWorkClaimer.ReleaseAsync reason {b.Label}", "reason", sp => S<IWorkClaimer>(sp).ReleaseAsync(lease, b.Value));
        }
    }

    private IEnumerable<SweepCase> Delegation()
    {
        var item = world.TaskA.Id;
        foreach (var (label, options, field) in BrokenOptions())
        {
            yield return Case($"IDelegationService.AssignAsync options {label}", field, sp => S<IDelegationService>(sp).AssignAsync(item, Assignee.Agent(world.Agent.Id), options()));
            yield return Case($"IDelegationService.StartAsync options {label}", field, sp => S<IDelegationService>(sp).StartAsync(world.Claim.Lease.WorkItemId, options()));
            yield return Case($"IDelegationService.CancelAsync options {label}", field, sp => S<IDelegationService>(sp).CancelAsync(world.Claim.Lease.WorkItemId, options()));
            yield return Case($"IDelegationService.ReassignAsync options {label}", field, sp => S<IDelegationService>(sp).ReassignAsync(world.Claim.Lease.WorkItemId, Assignee.Agent(world.Agent.Id), options()));
        }

        foreach (var b in breaks.FreeText(InputLimits.Note, required: true))
        {
            yield return Case($"IDelegationService.BlockAsync reason {b.Label}", "reason", sp => S<IDelegationService>(sp).BlockAsync(world.Claim.Lease.WorkItemId, b.Value!));
        }

        foreach (var b in breaks.Enum<AssigneeType>())
        {
            yield return Case($"IDelegationService.AssignAsync assignee Type {b.Label}", "assignee.Type", sp => S<IDelegationService>(sp).AssignAsync(item, new Assignee(b.Value, world.Agent.Id)));
        }

        yield return Case("IDelegationService.AssignAsync assignee null", "assignee", sp => S<IDelegationService>(sp).AssignAsync(item, null!));
        yield return Case("IDelegationService.AssignAsync assignee Guid.Empty", "assignee.Id", sp => S<IDelegationService>(sp).AssignAsync(item, Assignee.Agent(Guid.Empty)));
        yield return Case("IDelegationService.AssignAsync assignee unknown agent", null, sp => S<IDelegationService>(sp).AssignAsync(item, Assignee.Agent(Guid.NewGuid())));
        yield return Case("IDelegationService.AssignAsync session of project B", null, sp => S<IDelegationService>(sp).AssignAsync(item, Assignee.Agent(world.Agent.Id), new DelegationOptions { SessionId = world.SessionB.SessionId }));
        foreach (var (label, id, field) in new (string, Guid, string?)[] { ("Guid.Empty", Guid.Empty, "workItemId"), ("deleted", world.DeletedItem, null) })
        {
            var s = Assignee.Agent(world.Agent.Id);
            yield return Case($"IDelegationService.AssignAsync workItemId {label}", field, sp => S<IDelegationService>(sp).AssignAsync(id, s));
            yield return Case($"IDelegationService.StartAsync workItemId {label}", field, sp => S<IDelegationService>(sp).StartAsync(id));
            yield return Case($"IDelegationService.PauseAsync workItemId {label}", field, sp => S<IDelegationService>(sp).PauseAsync(id));
            yield return Case($"IDelegationService.ResumeAsync workItemId {label}", field, sp => S<IDelegationService>(sp).ResumeAsync(id));
            yield return Case($"IDelegationService.BlockAsync workItemId {label}", field, sp => S<IDelegationService>(sp).BlockAsync(id, "waits"));
            yield return Case($"IDelegationService.UnblockAsync workItemId {label}", field, sp => S<IDelegationService>(sp).UnblockAsync(id));
            yield return Case($"IDelegationService.CompleteAsync workItemId {label}", field, sp => S<IDelegationService>(sp).CompleteAsync(id));
            yield return Case($"IDelegationService.CancelAsync workItemId {label}", field, sp => S<IDelegationService>(sp).CancelAsync(id));
            yield return Case($"IDelegationService.ReassignAsync workItemId {label}", field, sp => S<IDelegationService>(sp).ReassignAsync(id, s));
        }
    }

    private IEnumerable<(string Label, Func<DelegationOptions> Options, string Field)> BrokenOptions()
    {
        foreach (var b in breaks.OneLine(InputLimits.Actor, optional: true))
        {
            yield return ($"Actor {b.Label}", () => new DelegationOptions { Actor = b.Value }, "options.Actor");
        }

        foreach (var b in breaks.FreeText(InputLimits.Note))
        {
            yield return ($"Note {b.Label}", () => new DelegationOptions { Note = b.Value }, "options.Note");
        }

        foreach (var b in breaks.FreeText(InputLimits.Text))
        {
            yield return ($"Context.Instructions {b.Label}", () => new DelegationOptions { Context = new DelegationContext { Instructions = b.Value } }, "options.Context.Instructions");
        }

        foreach (var b in breaks.SessionKey(InputLimits.SessionId, optional: true))
        {
            yield return ($"SessionId {b.Label}", () => new DelegationOptions { SessionId = b.Value }, "options.SessionId");
        }

        yield return ("AssignedBy Guid.Empty", () => new DelegationOptions { AssignedBy = Guid.Empty }, "options.AssignedBy");
        yield return ("FencingToken 0", () => new DelegationOptions { FencingToken = 0 }, "options.FencingToken");
        yield return ("Context.Files null entry", () => new DelegationOptions { Context = new DelegationContext { Files = ["src/a.cs", null!] } }, "options.Context.Files");
        yield return ("Context.Files null", () => new DelegationOptions { Context = new DelegationContext { Files = null! } }, "options.Context.Files");
        yield return ("Context.Data null entry", () => new DelegationOptions { Context = new DelegationContext { Data = [null!] } }, "options.Context.Data");
        yield return ("Context.Data[0].Key null", () => new DelegationOptions { Context = new DelegationContext { Data = [new MetadataEntry { Key = null! }] } }, "options.Context.Data[0].Key");
    }
}
