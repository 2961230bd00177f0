using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Work;

namespace AgentOrchestration.Data.Validation;

/// <summary>The rules for projects, new work items and dependencies.</summary>
internal static class WorkItemValidation
{
    /// <summary>The parents each kind of item may have: none for an epic, an epic for a story, a story or an epic for a task or bug.</summary>
    private static readonly Dictionary<WorkItemType, WorkItemType[]> Parents = new()
    {
        [WorkItemType.Epic] = [],
        [WorkItemType.Story] = [WorkItemType.Epic],
        [WorkItemType.Task] = [WorkItemType.Story, WorkItemType.Epic],
        [WorkItemType.Bug] = [WorkItemType.Story, WorkItemType.Epic],
    };

    public static void Project(string? key, string? name, string? description)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key), $"key is required. Allowed: a slug of at most {InputLimits.ProjectKey} characters.");
        }

        if (key.Length > InputLimits.ProjectKey)
        {
            throw Input.Invalid(nameof(key), key, "is too long", $"lowercase letters and digits in groups joined by single dashes, at most {InputLimits.ProjectKey} characters");
        }

        AgentValidation.Slug(key, nameof(key));
        Input.Name(name, nameof(name), InputLimits.Name);
        Input.Text(description, nameof(description), InputLimits.Text);
    }

    public static void New(NewWorkItem? item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Input.Id(item.ProjectId, "item.ProjectId");
        var type = Input.Defined(item.Type, "item.Type");
        Input.Name(item.Title, "item.Title", InputLimits.Title);
        Input.Text(item.Description, "item.Description", InputLimits.Text);
        Input.Text(item.SuccessCriteria, "item.SuccessCriteria", InputLimits.Text);
        Input.Range(item.Priority, "item.Priority", 1, 5, "1 critical to 5 nice to have");
        Input.Id(item.ParentId, "item.ParentId");
        Input.Id(item.SprintId, "item.SprintId");
        Input.Hours(item.EstimatedHours, "item.EstimatedHours");
        Input.Entries(item.RequiredCapabilities, "item.RequiredCapabilities", entry: (c, name) => Input.Name(c, name, InputLimits.Capability), required: true);
        var dependencies = new Dictionary<Guid, string>();
        Input.Entries(item.DependsOn, "item.DependsOn", entry: (id, name) =>
        {
            Input.Id(id, name);
            if (!dependencies.TryAdd(id, name))
            {
                throw new ArgumentException($"{name} '{id}' repeats {dependencies[id]}. Allowed: each dependency once.", name);
            }
        }, required: true);
        if (type == WorkItemType.Epic && item.ParentId is { } parentId)
        {
            throw new ArgumentException($"item.ParentId '{parentId}' is set on an epic. Allowed: no parent for an epic.", "item.ParentId");
        }
    }

    /// <summary>The required capabilities as stored: trimmed, lowercased, each once; <see langword="null"/> for none.</summary>
    public static List<string>? Capabilities(NewWorkItem item)
    {
        var capabilities = item.RequiredCapabilities.Select(c => c.Trim().ToLowerInvariant()).Distinct().ToList();
        return capabilities.Count == 0 ? null : capabilities;
    }

    /// <summary>Whether <paramref name="parentType"/> may be the parent of a <paramref name="type"/>.</summary>
    public static void Parent(WorkItemType type, Guid parentId, WorkItemType parentType, string field = "item.ParentId")
    {
        if (!Parents[type].Contains(parentType))
        {
            var allowed = Parents[type] is [] ? "none: an epic has no parent" : string.Join(" or ", Parents[type].Select(StoredEnum.ToStore));
            throw new ArgumentException(
                $"item.ParentId '{parentId}' is a {StoredEnum.ToStore(parentType)}, which cannot be the parent of a {StoredEnum.ToStore(type)}. Allowed: {allowed} (stories belong to epics, tasks and bugs to stories or epics).",
                field);
        }
    }

    public static void Dependency(Guid workItemId, Guid dependsOnId)
    {
        Input.Id(workItemId, nameof(workItemId));
        Input.Id(dependsOnId, nameof(dependsOnId));
    }
}
