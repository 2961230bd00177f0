namespace AgentOrchestration.Data.Testing;

/// <summary>
/// The shape of the world <see cref="OrchestrationWorld.CreateAsync"/> builds. Change it with <c>with</c> or an object
/// initializer: <c>new WorldOptions { Agents = 2, Claimed = 1, Done = 2 }</c>.
/// </summary>
/// <remarks>
/// Within each story the tasks form a chain (each waits on the one before), so one task per story is ready at a time and
/// finishing one readies the next. <see cref="Done"/> tasks are finished first, then <see cref="Reviewed"/>,
/// <see cref="Locked"/> and <see cref="Claimed"/> ones are claimed; together they need no more ready tasks than the world
/// has (at most one per unfinished story).
/// </remarks>
public sealed record WorldOptions
{
    /// <summary>Gets how many agents to register, 1 or more; each has every one of <see cref="Capabilities"/> and an active session. 3 by default.</summary>
    public int Agents { get; init; } = 3;

    /// <summary>Gets the capabilities the agents have and the tasks require (one each); csharp, sql and typescript by default.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = ["csharp", "sql", "typescript"];

    /// <summary>Gets how many epics the sprint holds; 1 by default.</summary>
    public int Epics { get; init; } = 1;

    /// <summary>Gets how many stories each epic has; 2 by default.</summary>
    public int StoriesPerEpic { get; init; } = 2;

    /// <summary>Gets how many tasks each story has, each waiting on the one before; 3 by default.</summary>
    public int TasksPerStory { get; init; } = 3;

    /// <summary>Gets whether the sprint is started (made active) once its work is in it; <see langword="true"/> by default.</summary>
    public bool StartSprint { get; init; } = true;

    /// <summary>Gets how many tasks are claimed, reviewed by the QA session with every required type passing, and completed; 0 by default.</summary>
    public int Done { get; init; }

    /// <summary>Gets how many tasks are claimed and pass every required QA type, but are not completed; 0 by default.</summary>
    public int Reviewed { get; init; }

    /// <summary>Gets how many tasks are claimed with files locked by the claiming agent's session; 0 by default.</summary>
    public int Locked { get; init; }

    /// <summary>Gets how many tasks are claimed and nothing more; 0 by default.</summary>
    public int Claimed { get; init; }

    /// <summary>Gets the lease of every claim, at most 24 hours; 1 hour by default, so a test on a fake clock has time to act.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromHours(1);
}
