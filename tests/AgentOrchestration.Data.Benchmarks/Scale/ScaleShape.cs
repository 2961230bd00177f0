using System.Globalization;
using AgentOrchestration.Data.EventLog;

namespace AgentOrchestration.Data.Benchmarks.Scale;

/// <summary>A JSON document column (jsonb on PostgreSQL, text on SQLite).</summary>
internal sealed record JsonText(string Text);

/// <summary>One bulk table: its columns and rows (values: Guid, string, int, long, bool, DateTime UTC, string[], JsonText, or null).</summary>
internal sealed record BulkTable(string Name, string[] Columns, IEnumerable<object?[]> Rows);

/// <summary>
/// The realistic database the scale scenario seeds, generated deterministically: 10 projects (each with 4 sprints, one
/// active), one agent per 1,000 items (at least 20; 5 types, 90% active, 2 capabilities each), and N work items in
/// creation order: 5% epics, 15% stories, 65% tasks, 15% bugs; priorities 1–5; 60% done, 25% to do, 7% in progress,
/// 3% blocked, 2% in review, 3% cancelled; ~30% depend on one or two earlier items of their project; ~20% require one
/// or two capabilities; every held or finished item has its assignment (a fifth of the finished ones an earlier
/// cancelled one too) and a history entry; 1–3 events per item (created, claimed, completed); one session per 100 items
/// (2% active, with 3 file locks each); QA results for a fifth of the finished items.
/// </summary>
internal sealed class ScaleShape
{
    public const int Projects = 10;
    public static readonly string[] Capabilities = ["csharp", "sql", "typescript", "docs", "security", "infra"];
    public static readonly string[] AgentTypes = ["backend-engineer", "frontend-engineer", "qa-engineer", "devops-engineer", "architect"];

    private readonly DateTime now;
    private readonly DateTime origin;

    public ScaleShape(int items, Guid[] projectIds, Guid[][] sprintIds, Guid[] agentIds, DateTime now)
    {
        Items = items;
        ProjectIds = projectIds;
        SprintIds = sprintIds;
        AgentIds = agentIds;
        this.now = now;
        origin = now.AddSeconds(-items - 86_400);
        WorkItemIds = new Guid[items];
        for (var i = 0; i < items; i++)
        {
            WorkItemIds[i] = Id(1, i);
        }
    }

    public int Items { get; }

    public Guid[] ProjectIds { get; }

    public Guid[][] SprintIds { get; }

    public Guid[] AgentIds { get; }

    public Guid[] WorkItemIds { get; }

    public static int AgentCount(int items) => Math.Max(20, items / 1000);

    public int Sessions => Math.Max(10, Items / 100);

    /// <summary>The session keys of the active sessions (2%).</summary>
    public static bool SessionActive(int s) => s % 50 == 0;

    public IEnumerable<BulkTable> Tables()
    {
        yield return new BulkTable("work_items",
            ["id", "project_id", "sprint_id", "type", "title", "status", "delegation_status", "priority", "assignee_type", "assignee_id", "assigned_agent_id", "current_assignment_id", "required_capabilities", "delegation_history", "created_at", "updated_at"],
            WorkItems());
        yield return new BulkTable("work_item_dependencies", ["work_item_id", "depends_on_id", "created_at"], Dependencies());
        yield return new BulkTable("task_assignments",
            ["id", "work_item_id", "agent_id", "assigned_at", "status", "lease_expires_at", "fencing_token", "completed_at", "notes", "created_at", "updated_at"],
            Assignments());
        yield return new BulkTable("orchestration_events", ["occurred_at", "type", "project_id", "entity_type", "entity_id", "actor", "payload"], Events());
        yield return new BulkTable("agent_sessions",
            ["id", "session_id", "project_id", "agent_id", "agent_type", "status", "current_action", "start_time", "end_time", "last_heartbeat_at", "risk_level", "oversight_level"],
            SessionRows());
        yield return new BulkTable("file_locks", ["id", "project_id", "file_path", "locked_by_session", "lock_type", "timestamp", "expires_at"], Locks());
        yield return new BulkTable("qa_results", ["id", "task_id", "agent_session_id", "qa_type", "status", "success_criteria_met", "timestamp"], QaResults());
    }

    public static int Project(int i) => i % Projects;

    public static string Status(int i) => R(i, 2) switch
    {
        < 0.60 => "done",
        < 0.85 => "todo",
        < 0.92 => "in_progress",
        < 0.95 => "blocked",
        < 0.97 => "in_review",
        _ => "cancelled",
    };

    public Guid Agent(int i) => AgentIds[(i / Projects) % AgentIds.Length];

    public static string SessionKey(int s) => $"scale-session-{s}";

    private static string Delegation(string status) => status switch
    {
        "done" => "completed",
        "in_progress" or "in_review" => "in_progress",
        "blocked" => "blocked",
        _ => "unassigned",
    };

    private static bool Held(string status) => status is "done" or "in_progress" or "in_review" or "blocked";

    private static bool Reworked(int i) => Status(i) == "done" && R(i, 6) < 0.2;

    private IEnumerable<object?[]> WorkItems()
    {
        for (var i = 0; i < Items; i++)
        {
            var status = Status(i);
            var held = Held(status);
            var agent = held ? (object)Agent(i) : null;
            var assignment = held ? (object)Id(2, i) : null;
            var r = R(i, 1);
            var type = r < 0.05 ? "epic" : r < 0.20 ? "story" : r < 0.85 ? "task" : "bug";
            var created = Created(i);
            string[]? required = R(i, 3) < 0.2
                ? (R(i, 4) < 0.5 ? [Capabilities[i % Capabilities.Length]] : [Capabilities[i % Capabilities.Length], Capabilities[(i / 7) % Capabilities.Length]])
                : null;
            var sprint = R(i, 5) < 0.5 ? SprintIds[Project(i)][3] : R(i, 5) < 0.8 ? SprintIds[Project(i)][i % 3] : (object?)null;
            JsonText? history = held
                ? new JsonText($$"""[{"at": "{{created.AddMinutes(1).ToString("O", CultureInfo.InvariantCulture)}}", "action": "claim", "from_status": "unassigned", "to_status": "assigned", "assignee_type": "agent", "assignee_id": "{{agent}}", "assignment_id": "{{assignment}}", "actor": "scale", "note": null}]""")
                : null;
            yield return [WorkItemIds[i], ProjectIds[Project(i)], sprint, type, $"Item {i}", status, Delegation(status), 1 + ((i / Projects) % 5), held ? "agent" : null, agent, agent, assignment, required, history, created, created.AddMinutes(held ? 30 : 0)];
        }
    }

    private IEnumerable<object?[]> Dependencies()
    {
        for (var i = 2 * Projects; i < Items; i++)
        {
            if (R(i, 7) < 0.3)
            {
                yield return [WorkItemIds[i], WorkItemIds[i - Projects], Created(i)];
                if (R(i, 8) < 0.3)
                {
                    yield return [WorkItemIds[i], WorkItemIds[i - (2 * Projects)], Created(i)];
                }
            }
        }
    }

    private IEnumerable<object?[]> Assignments()
    {
        for (var i = 0; i < Items; i++)
        {
            var status = Status(i);
            if (!Held(status))
            {
                continue;
            }

            var assigned = Created(i).AddMinutes(1);
            var token = 1L;
            if (Reworked(i))
            {
                yield return [Id(3, i), WorkItemIds[i], AgentIds[(i + 1) % AgentIds.Length], assigned.AddMinutes(-1), "cancelled", null, 1L, assigned, "lease expired", assigned.AddMinutes(-1), assigned];
                token = 2;
            }

            var (assignmentStatus, lease, completed) = status switch
            {
                "done" => ("completed", (object?)null, (object?)assigned.AddMinutes(29)),
                "blocked" => ("paused", null, null),
                _ => ("started", now.AddMinutes(10), null),
            };
            yield return [Id(2, i), WorkItemIds[i], Agent(i), assigned, assignmentStatus, lease, token, completed, null, assigned, assigned.AddMinutes(29)];
        }
    }

    private IEnumerable<object?[]> Events()
    {
        for (var i = 0; i < Items; i++)
        {
            var status = Status(i);
            var project = ProjectIds[Project(i)];
            var created = Created(i);
            yield return [created, OrchestrationEventTypes.WorkItemCreated, project, "work_item", WorkItemIds[i], "scale", Payload(i, null, "unassigned", null)];
            if (Held(status))
            {
                yield return [created.AddMinutes(1), OrchestrationEventTypes.WorkItemClaimed, project, "work_item", WorkItemIds[i], "scale", Payload(i, "unassigned", "assigned", Agent(i))];
            }

            if (status == "done")
            {
                yield return [created.AddMinutes(30), OrchestrationEventTypes.WorkItemCompleted, project, "work_item", WorkItemIds[i], "scale", Payload(i, "in_progress", "completed", Agent(i))];
            }
        }
    }

    private IEnumerable<object?[]> SessionRows()
    {
        for (var s = 0; s < Sessions; s++)
        {
            var active = SessionActive(s);
            var start = origin.AddSeconds(s * ((double)Items / Sessions));
            yield return [Id(4, s), SessionKey(s), ProjectIds[s % Projects], AgentIds[s % AgentIds.Length], "implementation", active ? "active" : "completed", active ? "implementing" : null, start, active ? null : start.AddHours(1), active ? now.AddSeconds(-(s % 60)) : start.AddHours(1), s % 5, "standard"];
        }
    }

    private IEnumerable<object?[]> Locks()
    {
        for (var s = 0; s < Sessions; s += 50)
        {
            for (var k = 0; k < 3; k++)
            {
                yield return [Id(5, (s * 3) + k), ProjectIds[s % Projects], k == 2 ? $"src/module{s}/**" : $"src/module{s}/file{k}.cs", SessionKey(s), "exclusive", now.AddMinutes(-5), now.AddMinutes(k == 1 ? -1 : 30)];
            }
        }
    }

    private IEnumerable<object?[]> QaResults()
    {
        string[] types = ["code_review", "functional_test", "mock_detection", "success_criteria"];
        for (var i = 0; i < Items; i++)
        {
            if (Status(i) == "done" && R(i, 9) < 0.2)
            {
                yield return [Id(6, i), WorkItemIds[i], SessionKey(i % Sessions), types[i % types.Length], R(i, 10) < 0.75 ? "pass" : R(i, 10) < 0.9 ? "warning" : "fail", true, Created(i).AddMinutes(25)];
            }
        }
    }

    private JsonText Payload(int i, string? from, string to, Guid? agent) =>
        new($$"""{"from": {{(from is null ? "null" : $"\"{from}\"")}}, "to": "{{to}}", "agent_id": {{(agent is { } a ? $"\"{a}\"" : "null")}}, "session_id": null, "work_item_id": "{{WorkItemIds[i]}}", "reason": null, "data": []}""");

    private DateTime Created(int i) => origin.AddSeconds(i);

    /// <summary>A deterministic id per (kind, index), in creation order like the library's UUID v7.</summary>
    private static Guid Id(int kind, int index)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes[..4], kind);
        BitConverter.TryWriteBytes(bytes[4..8], index);
        bytes[8..].Fill(0x5A);
        bytes[..8].Reverse();
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>A deterministic number in [0, 1) per item and purpose.</summary>
    private static double R(int i, int salt)
    {
        var x = (ulong)(uint)i * 0x9E3779B97F4A7C15UL ^ ((ulong)salt * 0xC2B2AE3D27D4EB4FUL);
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        return (x >> 11) * (1.0 / (1UL << 53));
    }
}
