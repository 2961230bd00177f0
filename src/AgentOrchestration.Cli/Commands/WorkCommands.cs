using System.CommandLine;
using AgentOrchestration.Cli.Hosting;
using AgentOrchestration.Cli.Output;
using AgentOrchestration.Data;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace AgentOrchestration.Cli.Commands;

/// <summary><c>work</c>, and the lease commands <c>claim</c>, <c>renew</c>, <c>complete</c>, <c>release</c>.</summary>
internal static class WorkCommands
{
    public static Command Work() => new("work", "Work items: add, list, show, ready, deps") { Add(), List(), Show(), Ready(), Deps() };

    /// <summary><c>work add</c>: a work item and its dependencies, written together.</summary>
    private static Command Add()
    {
        var title = new Argument<string>("title") { Description = "The work item's title" };
        var type = new Option<string>("--type") { Description = "task, bug, story or epic", DefaultValueFactory = _ => "task" };
        var priority = new Option<int>("--priority", "-p") { Description = "1 critical to 5 nice to have", DefaultValueFactory = _ => 3 };
        var description = new Option<string?>("--description") { Description = "What to do" };
        var criteria = new Option<string?>("--criteria") { Description = "Success criteria QA checks" };
        var parent = new Option<string?>("--parent") { Description = "Parent id (an epic for a story, a story for a task or bug)" };
        var capability = new Option<string[]>("--capability", "-c") { Description = "A capability the claiming agent needs; repeat for more" };
        var dependsOn = new Option<string[]>("--depends-on") { Description = "Id of an item that must be done first; repeat for more" };
        var hours = new Option<decimal?>("--hours") { Description = "Estimated hours" };
        var add = new Command("add", "Add a work item") { title, type, priority, description, criteria, parent, capability, dependsOn, hours };
        Cli.Action(add, async (parse, o, ct) =>
        {
            var project = await o.ProjectAsync(ct);
            var dependencies = (parse.GetValue(dependsOn) ?? []).Select(d => Names.Id(d, "depends-on")).Distinct().ToList();
            var item = new NewWorkItem
            {
                ProjectId = project.Id,
                Type = Names.Parse<WorkItemType>(parse.GetValue(type)!, "type"),
                Title = parse.GetValue(title)!,
                Priority = parse.GetValue(priority),
                Description = parse.GetValue(description),
                SuccessCriteria = parse.GetValue(criteria),
                ParentId = parse.GetValue(parent) is { } p ? Names.Id(p, "parent") : null,
                RequiredCapabilities = parse.GetValue(capability) ?? [],
                EstimatedHours = parse.GetValue(hours),
                DependsOn = dependencies,
            };

            // The item and its dependencies are written in one transaction: no agent claims it before they are recorded.
            var created = await o.WithAsync<IWorkItemService, WorkItem>(w => w.CreateWorkItemAsync(item, ct));
            var view = new WorkDetailView(WorkView.Of(created), dependencies);
            return (view, $"added {view.WorkItem.Type} {created.Id} '{created.Title}' (priority {created.Priority}{(dependencies.Count > 0 ? $", after {dependencies.Count} dependencies" : string.Empty)})");
        });

        return add;
    }

    /// <summary><c>work list</c>: the project's work items, by priority.</summary>
    private static Command List()
    {
        var status = new Option<string?>("--status") { Description = "Only items with this status (todo, in_progress, in_review, blocked, done, ...)" };
        var take = new Option<int>("--take") { Description = "At most this many (1-500)", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "List the project's work items, by priority") { status, take };
        Cli.Action(list, async (parse, o, ct) =>
        {
            var project = await o.ProjectAsync(ct);
            var wanted = parse.GetValue(status) is { } s ? Names.Parse<WorkItemStatus>(s, "status") : (WorkItemStatus?)null;
            var count = Take(parse.GetValue(take));
            var items = await o.ReadAsync(db => db.WorkItems.Where(w => w.ProjectId == project.Id && (wanted == null || w.Status == wanted))
                .OrderBy(w => w.Priority).ThenBy(w => w.CreatedAt).ThenBy(w => w.Id).Take(count).ToListAsync(ct));
            var views = items.Select(WorkView.Of).ToList();
            return (new { work_items = views }, views.Count == 0 ? "no work items" : string.Join('\n', views.Select(Line)));
        });

        return list;
    }

    /// <summary><c>work show</c>: one work item as stored now.</summary>
    private static Command Show()
    {
        var id = new Argument<string>("work-item") { Description = "The work item's id" };
        var show = new Command("show", "Show one work item as stored now (did a completion land?)") { id };
        Cli.Action(show, async (parse, o, ct) =>
        {
            var item = await Operations.ShowWorkAsync(o, parse.GetValue(id)!, ct);
            var view = new WorkDetailView(item, await Operations.DependsOnAsync(o, item.Id, ct));
            return (view, Line(item) + $", {item.DelegationStatus}, qa {item.QaStatus}" + (item.AssignedAgentId is { } a ? $", held by agent {a}" : string.Empty));
        });

        return show;
    }

    /// <summary><c>work ready</c>: the project's ready work.</summary>
    private static Command Ready()
    {
        var readyTake = new Option<int>("--take") { Description = "At most this many (1-500)", DefaultValueFactory = _ => 20 };
        var ready = new Command("ready", "List ready work: unassigned todo tasks and bugs whose dependencies are done, by priority") { readyTake };
        Cli.Action(ready, async (parse, o, ct) =>
        {
            var items = await Operations.ReadyAsync(o, Take(parse.GetValue(readyTake)), ct);
            return (new { work_items = items }, items.Count == 0 ? "nothing ready" : string.Join('\n', items.Select(Line)));
        });

        return ready;
    }

    /// <summary><c>work deps</c>: a work item's dependencies, after adding and removing some.</summary>
    private static Command Deps()
    {
        var depsId = new Argument<string>("work-item") { Description = "The work item's id" };
        var addDep = new Option<string[]>("--add") { Description = "Make the item wait for this one; repeat for more" };
        var removeDep = new Option<string[]>("--remove") { Description = "Stop waiting for this one; repeat for more" };
        var deps = new Command("deps", "Show (and add or remove) a work item's dependencies") { depsId, addDep, removeDep };
        Cli.Action(deps, async (parse, o, ct) =>
        {
            var item = await Operations.ShowWorkAsync(o, parse.GetValue(depsId)!, ct);
            var adds = (parse.GetValue(addDep) ?? []).Select(d => Names.Id(d, "add")).ToList();
            var removes = (parse.GetValue(removeDep) ?? []).Select(d => Names.Id(d, "remove")).ToList();
            foreach (var dependency in adds)
            {
                await o.WithAsync<IWorkItemService, bool>(async w => { await w.AddDependencyAsync(item.Id, dependency, ct); return true; });
            }

            foreach (var dependency in removes)
            {
                await o.WithAsync<IWorkItemService, bool>(w => w.RemoveDependencyAsync(item.Id, dependency, ct));
            }

            var view = await o.ReadAsync(async db => new DependenciesView(
                item.Id,
                [.. (await db.WorkItemDependencies.Where(d => d.WorkItemId == item.Id).Select(d => d.DependsOn!).ToListAsync(ct)).OrderBy(w => w.Id).Select(Dependency)],
                [.. (await db.WorkItemDependencies.Where(d => d.DependsOnId == item.Id).Select(d => d.WorkItem!).ToListAsync(ct)).OrderBy(w => w.Id).Select(Dependency)]));
            return (view, $"{item.Id} waits for {view.DependsOn.Count} ({string.Join(", ", view.DependsOn.Select(d => $"{d.Id} {d.Status}"))}); {view.Dependents.Count} wait for it");
        });

        return deps;
    }

    public static IEnumerable<Command> Leases()
    {
        var agent = new Option<string?>("--agent") { Description = "The claiming agent's slug or id (default: AGENTS_AGENT, .agents.json)" };
        var batch = new Option<int>("--batch") { Description = "Claim up to N items at once (1-1000)", DefaultValueFactory = _ => 1 };
        var lease = new Option<string?>("--lease") { Description = "Lease duration, such as 30m (default 5m, at most 24h)" };
        var key = new Option<string?>("--idempotency-key") { Description = "Retry-safe key: the same key returns what the first claim took" };
        var session = new Option<string?>("--session") { Description = "The implementing session (default: AGENTS_SESSION)" };
        var claim = new Command("claim", "Claim the next ready work atomically; prints the lease and fencing token") { agent, batch, lease, key, session };
        Cli.Action(claim, async (parse, o, ct) =>
        {
            var view = await Operations.ClaimAsync(o, parse.GetValue(agent), parse.GetValue(batch), Cli.Duration(parse, lease), parse.GetValue(key), parse.GetValue(session), ct);
            return (view, view.Claimed.Count == 0
                ? "nothing ready to claim"
                : string.Join('\n', view.Claimed.Select(c => $"claimed {c.WorkItemId} '{c.Title}' lease {c.Lease} (fencing token {c.FencingToken}) until {Printer.Time(c.LeaseExpiresAt)}")));
        }, exitCode: view => view.Claimed.Count == 0 ? ExitCodes.NothingToClaim : ExitCodes.Ok);

        var renewLease = new Argument<string>("lease") { Description = "The lease claim printed (WORK_ITEM_ID:ASSIGNMENT_ID:FENCING_TOKEN)" };
        var renewFor = new Option<string?>("--lease") { Description = "New duration from now, such as 30m (default 5m)" };
        var renew = new Command("renew", "Extend a lease") { renewLease, renewFor };
        Cli.Action(renew, async (parse, o, ct) =>
        {
            var view = await Operations.RenewAsync(o, parse.GetValue(renewLease)!, Cli.Duration(parse, renewFor), ct);
            return (view, $"renewed {view.WorkItemId} until {Printer.Time(view.LeaseExpiresAt)}");
        });

        var completeLease = new Argument<string>("lease") { Description = "The lease claim printed" };
        var complete = new Command("complete", "Complete claimed work (refused while required QA is missing)") { completeLease };
        Cli.Action(complete, async (parse, o, ct) =>
        {
            var view = await Operations.CompleteAsync(o, parse.GetValue(completeLease)!, ct);
            return (view, $"completed {view.WorkItemId}: {view.Status}");
        });

        var releaseLease = new Argument<string>("lease") { Description = "The lease claim printed" };
        var reason = new Option<string?>("--reason") { Description = "Why, recorded in the history" };
        var release = new Command("release", "Give claimed work back to the queue") { releaseLease, reason };
        Cli.Action(release, async (parse, o, ct) =>
        {
            var view = await Operations.ReleaseAsync(o, parse.GetValue(releaseLease)!, parse.GetValue(reason), ct);
            return (view, $"released {view.WorkItemId}: {view.Status}, {view.DelegationStatus}");
        });

        return [claim, renew, complete, release];
    }

    private static DependencyView Dependency(WorkItem w) => new(w.Id, w.Title, Names.Of(w.Status));

    private static int Take(int take) =>
        take is >= 1 and <= 500 ? take : throw new InputException($"take {take} is out of range; use 1 to 500");

    private static string Line(WorkView w) => $"{w.Id} [{w.Status}] p{w.Priority} {w.Type} '{w.Title}'";
}
