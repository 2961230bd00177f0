namespace AgentOrchestration.Data.Faults;

/// <summary>
/// What one attempt of a public operation did so far, as far as a fault's consequences go: whether a commit was started
/// (from then on its outcome is unknown until checked), and how the operation lets an unknown outcome be resolved. Flows
/// with the call (an <see cref="AsyncLocal{T}"/>), so the transaction skeleton and the operations mark it without passing it around.
/// </summary>
internal sealed class FaultAttempt
{
    private static readonly AsyncLocal<FaultAttempt?> CurrentSlot = new();

    /// <summary>Gets the attempt the current call runs in, or <see langword="null"/> outside any public operation.</summary>
    public static FaultAttempt? Current => CurrentSlot.Value;

    /// <summary>Gets a value indicating whether a commit (or a statement that commits by itself) was sent: a fault from now on may come after it landed.</summary>
    public bool CommitStarted { get; private set; }

    /// <summary>Gets a value indicating whether running the whole operation again after an unknown commit does no harm (a renewal, a heartbeat).</summary>
    public bool Idempotent { get; private set; }

    /// <summary>Gets the check that tells whether an unknown commit landed, for operations that return nothing.</summary>
    public Func<CancellationToken, Task<bool>>? Landed { get; private set; }

    /// <summary>Marks that a commit is being sent; called by the transaction skeleton right before it commits.</summary>
    public static void Committing()
    {
        if (Current is { } attempt)
        {
            attempt.CommitStarted = true;
        }
    }

    /// <summary>Marks the running operation as safe to run again even after an unknown commit.</summary>
    public static void MarkIdempotent()
    {
        if (Current is { } attempt)
        {
            attempt.Idempotent = true;
        }
    }

    /// <summary>Names how to learn whether the running operation's unknown commit landed (it must wait for a commit still in flight, e.g. by taking the same lock).</summary>
    public static void CheckLandedWith(Func<CancellationToken, Task<bool>> landed)
    {
        if (Current is { } attempt)
        {
            attempt.Landed = landed;
        }
    }

    /// <summary>Starts a fresh attempt for the current call and below it.</summary>
    internal static FaultAttempt Begin()
    {
        var attempt = new FaultAttempt();
        CurrentSlot.Value = attempt;
        return attempt;
    }

    /// <summary>Ends the attempts of the current call.</summary>
    internal static void End() => CurrentSlot.Value = null;
}
