namespace AgentOrchestration.Data.Faults;

/// <summary>
/// How the library retries an operation that failed because of a fault of the database connection or server, where a
/// retry is safe: reads, writes whose fault came before their commit, claims (through their idempotency key) and writes
/// whose outcome the library can check (a completion). Attempt <c>n</c> waits a random time between zero and
/// <c>min(<see cref="MaxDelay"/>, <see cref="BaseDelay"/> × 2^(n-1))</c> (full jitter) before the next. Set it with
/// <c>AgentOrchestrationBuilder.ConfigureRetries</c>; it is validated there.
/// </summary>
public sealed class RetryOptions
{
    /// <summary>The most attempts <see cref="MaxAttempts"/> allows.</summary>
    public const int MaxAllowedAttempts = 20;

    /// <summary>Gets or sets how many times an operation runs at most, the first included; 4 by default, 1 (no retry) to <see cref="MaxAllowedAttempts"/>.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Gets or sets the first retry's longest wait; 50 ms by default, from zero (retry at once) to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Gets or sets the longest wait before any retry; 1 s by default, at most 1 minute.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Refuses settings outside their documented ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range; the message names it.</exception>
    internal void Validate()
    {
        if (MaxAttempts is < 1 or > MaxAllowedAttempts)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, $"RetryOptions.MaxAttempts is from 1 (no retry) to {MaxAllowedAttempts}.");
        }

        if (MaxDelay < TimeSpan.Zero || MaxDelay > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "RetryOptions.MaxDelay is from zero to 1 minute.");
        }

        if (BaseDelay < TimeSpan.Zero || BaseDelay > MaxDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, $"RetryOptions.BaseDelay is from zero to MaxDelay ({MaxDelay}).");
        }
    }

    /// <summary>The wait before attempt <paramref name="failedAttempt"/> + 1: full jitter under the exponential bound.</summary>
    internal TimeSpan Backoff(int failedAttempt)
    {
        var bound = BaseDelay.Ticks * Math.Pow(2, Math.Min(failedAttempt - 1, 30));
        var capped = Math.Min(bound, MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)(capped * Random.Shared.NextDouble()));
    }
}
