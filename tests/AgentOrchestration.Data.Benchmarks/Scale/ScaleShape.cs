using System.Globalization;
using AgentOrchestration.Data.EventLog;

namespace AgentOrchestration.Data.Benchmarks.Scale;

/// <summary>
/// Where the shape writes its rows, value by value in column order, so a bulk load boxes nothing and allocates no row:
/// binary COPY on PostgreSQL, bound parameters of one prepared statement on SQLite.
/// </summary>
internal interface IRowWriter
{
    void StartRow();

    void Null();

    void Uuid(Guid value);

    void Text(string value);

    void Int(int value);

    void Long(long value);

    void Bool(bool value);

    /// <summary>A UTC timestamp (timestamptz on PostgreSQL, the library's text on SQLite).</summary>
    void Time(DateTime value);

    /// <summary>A text array (text[] on PostgreSQL, a JSON array on SQLite); the shape passes the same few arrays again and again.</summary>
    void TextArray(string[] value);

    /// <summary>A JSON document (jsonb on PostgreSQL, text on SQLite).</summary>
    void Json(string value);

    void EndRow();
}

/// <summary>One bulk table: its columns, and the rows it writes (returns how many).</summary>
internal sealed record BulkTable(string Name, string[] Columns, Func<IRowWriter, long> WriteRows);

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

    /// <summary>The bulk tables, largest first (a parallel load starts the long ones first).</summary>
    public IEnumerable<BulkTable> Tables()
    {
        yield return new BulkTable("work_items",
            ["id", "project_id", "sprint_id", "type", "title", "status", "delegation_status", "priority", "assignee_type", "assignee_id", "assigned_agent_id", "current_assignment_id", "required_capabilities", "delegation_history", "created_at", "updated_at"],
            WorkItems);
        yield return new BulkTable("orchestration_events", ["occurred_at", "type", "project_id", "entity_type", "entity_id", "actor", "payload"], Events);
        yield return new BulkTable("task_assignments",
            ["id", "work_item_id", "agent_id", "assigned_at", "status", "lease_expires_at", "fencing_token", "completed_at", "notes", "created_at", "updated_at"],
            Assignments);
        yield return new BulkTable("work_item_dependencies", ["work_item_id", "depends_on_id", "created_at"], Dependencies);
        yield return new BulkTable("qa_results", ["id", "task_id", "project_id", "agent_session_id", "qa_type", "status", "success_criteria_met", "timestamp"], QaResults);
        yield return new BulkTable("agent_sessions",
            ["id", "session_id", "project_id", "agent_id", "agent_type", "status", "current_action", "start_time", "end_time", "last_heartbeat_at", "risk_level", "oversight_level"],
            SessionRows);
        yield return new BulkTable("file_locks", ["id", "project_id", "file_path", "locked_by_session", "lock_type", "timestamp", "expires_at"], Locks);
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

    private long WorkItems(IRowWriter w)
    {
        for (var i = 0; i < Items; i++)
        {
            var status = Status(i);
            var held = Held(status);
            var r = R(i, 1);
            var created = Created(i);
            w.StartRow();
            w.Uuid(WorkItemIds[i]);
            w.Uuid(ProjectIds[Project(i)]);
            var sprint = R(i, 5);
            if (sprint < 0.8)
            {
                w.Uuid(SprintIds[Project(i)][sprint < 0.5 ? 3 : i % 3]);
            }
            else
            {
                w.Null();
            }

            w.Text(r < 0.05 ? "epic" : r < 0.20 ? "story" : r < 0.85 ? "task" : "bug");
            w.Text(Title(i));
            w.Text(status);
            w.Text(Delegation(status));
            w.Int(1 + ((i / Projects) % 5));
            if (held)
            {
                var agent = Agent(i);
                var assignment = Id(2, i);
                w.Text("agent");
                w.Uuid(agent);
                w.Uuid(agent);
                w.Uuid(assignment);
                Required(w, i);
                w.Json($$"""[{"at": "{{created.AddMinutes(1).ToString("O", CultureInfo.InvariantCulture)}}", "action": "claim", "from_status": "unassigned", "to_status": "assigned", "assignee_type": "agent", "assignee_id": "{{agent}}", "assignment_id": "{{assignment}}", "actor": "scale", "note": null}]""");
            }
            else
            {
                w.Null();
                w.Null();
                w.Null();
                w.Null();
                Required(w, i);
                w.Null();
            }

            w.Time(created);
            w.Time(created.AddMinutes(held ? 30 : 0));
            w.EndRow();
        }

        return Items;
    }

    private static string Title(int i) => string.Create(CultureInfo.InvariantCulture, $"Item {i}");

    // ~20% require one or two capabilities: the same 42 arrays shared by every row.
    private static void Required(IRowWriter w, int i)
    {
        if (R(i, 3) < 0.2)
        {
            w.TextArray(R(i, 4) < 0.5 ? RequiredOne[i % Capabilities.Length] : RequiredTwo[i % Capabilities.Length][(i / 7) % Capabilities.Length]);
        }
        else
        {
            w.Null();
        }
    }

    private static readonly string[][] RequiredOne = [.. Capabilities.Select(c => new[] { c })];

    private static readonly string[][][] RequiredTwo = [.. Capabilities.Select(a => Capabilities.Select(b => new[] { a, b }).ToArray())];

    private long Dependencies(IRowWriter w)
    {
        long rows = 0;
        for (var i = 2 * Projects; i < Items; i++)
        {
            if (R(i, 7) < 0.3)
            {
                rows += Dependency(w, i, i - Projects);
                if (R(i, 8) < 0.3)
                {
                    rows += Dependency(w, i, i - (2 * Projects));
                }
            }
        }

        return rows;
    }

    private int Dependency(IRowWriter w, int item, int dependsOn)
    {
        w.StartRow();
        w.Uuid(WorkItemIds[item]);
        w.Uuid(WorkItemIds[dependsOn]);
        w.Time(Created(item));
        w.EndRow();
        return 1;
    }

    private long Assignments(IRowWriter w)
    {
        long rows = 0;
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
                // A fifth of the finished items were first held by another agent whose lease lapsed.
                w.StartRow();
                w.Uuid(Id(3, i));
                w.Uuid(WorkItemIds[i]);
                w.Uuid(AgentIds[(i + 1) % AgentIds.Length]);
                w.Time(assigned.AddMinutes(-1));
                w.Text("cancelled");
                w.Null();
                w.Long(1);
                w.Time(assigned);
                w.Text("lease expired");
                w.Time(assigned.AddMinutes(-1));
                w.Time(assigned);
                w.EndRow();
                rows++;
                token = 2;
            }

            w.StartRow();
            w.Uuid(Id(2, i));
            w.Uuid(WorkItemIds[i]);
            w.Uuid(Agent(i));
            w.Time(assigned);
            switch (status)
            {
                case "done":
                    w.Text("completed");
                    w.Null();
                    break;
                case "blocked":
                    w.Text("paused");
                    w.Null();
                    break;
                default:
                    w.Text("started");
                    w.Time(now.AddMinutes(10));
                    break;
            }

            w.Long(token);
            if (status == "done")
            {
                w.Time(assigned.AddMinutes(29));
            }
            else
            {
                w.Null();
            }

            w.Null();
            w.Time(assigned);
            w.Time(assigned.AddMinutes(29));
            w.EndRow();
            rows++;
        }

        return rows;
    }

    private long Events(IRowWriter w)
    {
        long rows = 0;
        for (var i = 0; i < Items; i++)
        {
            var status = Status(i);
            var created = Created(i);
            rows += Event(w, i, created, OrchestrationEventTypes.WorkItemCreated, null, "unassigned", null);
            if (Held(status))
            {
                rows += Event(w, i, created.AddMinutes(1), OrchestrationEventTypes.WorkItemClaimed, "unassigned", "assigned", Agent(i));
            }

            if (status == "done")
            {
                rows += Event(w, i, created.AddMinutes(30), OrchestrationEventTypes.WorkItemCompleted, "in_progress", "completed", Agent(i));
            }
        }

        return rows;
    }

    private int Event(IRowWriter w, int i, DateTime at, string type, string? from, string to, Guid? agent)
    {
        w.StartRow();
        w.Time(at);
        w.Text(type);
        w.Uuid(ProjectIds[Project(i)]);
        w.Text("work_item");
        w.Uuid(WorkItemIds[i]);
        w.Text("scale");
        w.Json($$"""{"from": {{(from is null ? "null" : $"\"{from}\"")}}, "to": "{{to}}", "agent_id": {{(agent is { } a ? $"\"{a}\"" : "null")}}, "session_id": null, "work_item_id": "{{WorkItemIds[i]}}", "reason": null, "data": []}""");
        w.EndRow();
        return 1;
    }

    private long SessionRows(IRowWriter w)
    {
        for (var s = 0; s < Sessions; s++)
        {
            var active = SessionActive(s);
            var start = origin.AddSeconds(s * ((double)Items / Sessions));
            w.StartRow();
            w.Uuid(Id(4, s));
            w.Text(SessionKey(s));
            w.Uuid(ProjectIds[s % Projects]);
            w.Uuid(AgentIds[s % AgentIds.Length]);
            w.Text("implementation");
            w.Text(active ? "active" : "completed");
            if (active)
            {
                w.Text("implementing");
                w.Time(start);
                w.Null();
                w.Time(now.AddSeconds(-(s % 60)));
            }
            else
            {
                w.Null();
                w.Time(start);
                w.Time(start.AddHours(1));
                w.Time(start.AddHours(1));
            }

            w.Int(s % 5);
            w.Text("standard");
            w.EndRow();
        }

        return Sessions;
    }

    private long Locks(IRowWriter w)
    {
        long rows = 0;
        for (var s = 0; s < Sessions; s += 50)
        {
            for (var k = 0; k < 3; k++)
            {
                w.StartRow();
                w.Uuid(Id(5, (s * 3) + k));
                w.Uuid(ProjectIds[s % Projects]);
                w.Text(k == 2 ? $"src/module{s}/**" : $"src/module{s}/file{k}.cs");
                w.Text(SessionKey(s));
                w.Text("exclusive");
                w.Time(now.AddMinutes(-5));
                w.Time(now.AddMinutes(k == 1 ? -1 : 30));
                w.EndRow();
                rows++;
            }
        }

        return rows;
    }

    private static readonly string[] QaTypes = ["code_review", "functional_test", "mock_detection", "success_criteria"];

    private long QaResults(IRowWriter w)
    {
        long rows = 0;
        for (var i = 0; i < Items; i++)
        {
            if (Status(i) == "done" && R(i, 9) < 0.2)
            {
                var r = R(i, 10);
                w.StartRow();
                w.Uuid(Id(6, i));
                w.Uuid(WorkItemIds[i]);
                w.Uuid(ProjectIds[Project(i)]);
                w.Text(SessionKey(i % Sessions));
                w.Text(QaTypes[i % QaTypes.Length]);
                w.Text(r < 0.75 ? "pass" : r < 0.9 ? "warning" : "fail");
                w.Bool(true);
                w.Time(Created(i).AddMinutes(25));
                w.EndRow();
                rows++;
            }
        }

        return rows;
    }

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
