using AgentOrchestration.Data;
using AgentOrchestration.Data.Locks;

namespace AgentOrchestration.Cli.Hosting;

/// <summary>The tool's exit codes; docs/cli.md lists them, and scripts rely on them, so they never change meaning.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>An unexpected or transient fault (the database unreachable, a timeout, a bug): retrying may help.</summary>
    public const int Fault = 1;

    /// <summary>Bad input: an unknown command or option, a malformed value, a value the library refuses.</summary>
    public const int InvalidInput = 2;

    /// <summary>What the command names does not exist (agent, project, work item, session, backlog item).</summary>
    public const int NotFound = 3;

    /// <summary>Held by another or in the wrong state: a lock in the way, a taken slug, a session that has ended, a cycle.</summary>
    public const int Conflict = 4;

    /// <summary>The lease is no longer held: it expired or the work passed to someone else. Stop working on the item.</summary>
    public const int LeaseLost = 5;

    /// <summary>The QA gate refused: required QA results are missing or failed, or a session tried to review its own work.</summary>
    public const int QaGate = 6;

    /// <summary><c>claim</c> found nothing ready for the agent.</summary>
    public const int NothingToClaim = 7;
}

/// <summary>Why a command was refused: its exit code, a stable kind for JSON, and one line saying why.</summary>
internal sealed record Refusal(int ExitCode, string Kind, string Message)
{
    /// <summary>The one place exceptions become exit codes: the library's typed refusals by concrete type, then input errors, then faults.</summary>
    public static Refusal From(Exception exception) => exception switch
    {
        RefusedException refused => new(refused.ExitCode, refused.Kind, OneLine(refused.Message)),
        InputException input => new(ExitCodes.InvalidInput, "invalid_input", OneLine(input.Message)),
        EntityNotFoundException notFound => new(ExitCodes.NotFound, "not_found", OneLine(notFound.Message)),
        LeaseLostException lost => new(ExitCodes.LeaseLost, "lease_lost", OneLine(lost.Message)),
        QaGateException gate => new(ExitCodes.QaGate, "qa_gate", OneLine(gate.Message)),
        QaSelfReviewException self => new(ExitCodes.QaGate, "qa_gate", OneLine(self.Message)),
        FileLockConflictException locks => new(ExitCodes.Conflict, "conflict", OneLine(Describe(locks))),
        DuplicateValueException or BacklogItemHeldException or BacklogItemPromotedException or DependencyCycleException
            or InvalidStateTransitionException or SessionNotActiveException or SprintAlreadyActiveException or ProjectIsolationException
            or IdempotencyKeyReusedException
            => new(ExitCodes.Conflict, "conflict", OneLine(exception.Message)),
        ArgumentException argument => new(ExitCodes.InvalidInput, "invalid_input", OneLine(argument.Message)),
        AgentOrchestrationTransientException transient => new(ExitCodes.Fault, "transient", OneLine(
            $"the database connection or server failed ({Innermost(transient.InnerException!).GetType().Name}: {Innermost(transient.InnerException!).Message}) after {transient.Attempts} attempt(s); "
            + (transient.MayHaveCommitted ? "it may have taken effect: check before repeating it" : "nothing was changed: repeat it"))),
        OperationCanceledException => new(ExitCodes.Fault, "fault", "cancelled before it finished; it may or may not have taken effect"),
        _ => new(ExitCodes.Fault, "fault", OneLine($"unexpected fault ({exception.GetType().Name}): {Innermost(exception).Message}")),
    };

    /// <summary>Who holds what, until when: the conflicts in one line, the holder first.</summary>
    public static string Describe(FileLockConflictException exception) =>
        $"refused, nothing was locked: {string.Join("; ", exception.Conflicts.Take(5).Select(Describe))}"
        + (exception.Conflicts.Count > 5 ? $"; and {exception.Conflicts.Count - 5} more" : string.Empty);

    public static string Describe(FileLockConflict conflict) =>
        $"'{conflict.RequestedPath}' is locked {(conflict.HeldType == Data.Entities.FileLockType.Exclusive ? "exclusive" : "shared")} as '{conflict.HeldPath}' by session '{conflict.HolderSessionId}'"
        + (conflict.ExpiresAt is { } until ? $" until {until.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}" : " with no expiry");

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null && exception is AggregateException or TypeInitializationException or System.Reflection.TargetInvocationException)
        {
            exception = exception.InnerException;
        }

        return exception;
    }

    /// <summary>Messages become one line of bounded length: agents read them, and a stack trace or a 10 KB value helps no one.</summary>
    private static string OneLine(string message)
    {
        var line = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= 600 ? line : line[..597] + "...";
    }
}
