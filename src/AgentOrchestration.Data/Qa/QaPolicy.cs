using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;

namespace AgentOrchestration.Data.Qa;

/// <summary>
/// Which QA types a task or bug needs before it can complete, per oversight level of the session implementing it, and
/// whether a <see cref="QaResultStatus.Warning"/> counts as passing at that level. Configure it at startup with
/// <see cref="AgentOrchestrationBuilder.ConfigureQa"/>; it is shared by every scope and must not change afterwards.
/// </summary>
/// <remarks>
/// The defaults escalate (each level requires what the one before it does):
/// <list type="table">
/// <item><term><c>standard</c></term><description><c>code_review</c>, <c>success_criteria</c>; warnings pass.</description></item>
/// <item><term><c>enhanced</c></term><description>adds <c>functional_test</c>; warnings pass.</description></item>
/// <item><term><c>strict</c></term><description>all four types (adds <c>mock_detection</c>); a warning does not pass.</description></item>
/// <item><term><c>direct</c></term><description>all four types; a warning does not pass.</description></item>
/// </list>
/// A task without an implementing session is held to <see cref="UnknownSessionLevel"/> (<c>standard</c> by default).
/// </remarks>
public sealed class QaPolicy
{
    private readonly Dictionary<OversightLevel, HashSet<QaType>> required = new()
    {
        [OversightLevel.Standard] = [QaType.CodeReview, QaType.SuccessCriteria],
        [OversightLevel.Enhanced] = [QaType.CodeReview, QaType.FunctionalTest, QaType.SuccessCriteria],
        [OversightLevel.Strict] = [QaType.CodeReview, QaType.FunctionalTest, QaType.MockDetection, QaType.SuccessCriteria],
        [OversightLevel.Direct] = [QaType.CodeReview, QaType.FunctionalTest, QaType.MockDetection, QaType.SuccessCriteria],
    };

    private readonly Dictionary<OversightLevel, bool> warningsPass = new()
    {
        [OversightLevel.Standard] = true,
        [OversightLevel.Enhanced] = true,
        [OversightLevel.Strict] = false,
        [OversightLevel.Direct] = false,
    };

    private OversightLevel unknownSessionLevel = OversightLevel.Standard;

    /// <summary>
    /// Gets or sets the oversight level of a task whose implementing session is unknown (no
    /// <c>work_items.assigned_agent_session</c>, for example work claimed or assigned without a session); <c>standard</c> by default.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="OversightLevel"/>.</exception>
    public OversightLevel UnknownSessionLevel
    {
        get => unknownSessionLevel;
        set => unknownSessionLevel = Valid(value, nameof(value));
    }

    /// <summary>Sets the QA types required at <paramref name="level"/>, replacing the ones before; none means tasks at that level are not gated.</summary>
    /// <param name="level">The oversight level of the implementing session.</param>
    /// <param name="types">The QA types whose latest result must pass.</param>
    /// <returns>The same policy, for chaining.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> or one of <paramref name="types"/> is not defined.</exception>
    public QaPolicy Require(OversightLevel level, params QaType[] types)
    {
        ArgumentNullException.ThrowIfNull(types);
        Valid(level, nameof(level));
        foreach (var type in types)
        {
            _ = StoredEnum.ToStore(type);
        }

        required[level] = [.. types];
        return this;
    }

    /// <summary>Requires no QA type at any level: completion is not gated by QA (results can still be recorded).</summary>
    /// <returns>The same policy, for chaining.</returns>
    public QaPolicy RequireNone()
    {
        foreach (var level in Enum.GetValues<OversightLevel>())
        {
            required[level] = [];
        }

        return this;
    }

    /// <summary>Sets whether a <see cref="QaResultStatus.Warning"/> counts as passing at <paramref name="level"/>.</summary>
    /// <param name="level">The oversight level of the implementing session.</param>
    /// <param name="accept"><see langword="true"/> if a warning passes.</param>
    /// <returns>The same policy, for chaining.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not defined.</exception>
    public QaPolicy AcceptWarnings(OversightLevel level, bool accept)
    {
        warningsPass[Valid(level, nameof(level))] = accept;
        return this;
    }

    /// <summary>Gets the QA types required at <paramref name="level"/>, in the order of <see cref="QaType"/>.</summary>
    /// <param name="level">The oversight level.</param>
    /// <returns>The required types, possibly none.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not defined.</exception>
    public IReadOnlyList<QaType> RequiredTypes(OversightLevel level) => [.. required[Valid(level, nameof(level))].Order()];

    /// <summary>Gets whether a <see cref="QaResultStatus.Warning"/> counts as passing at <paramref name="level"/>.</summary>
    /// <param name="level">The oversight level.</param>
    /// <returns><see langword="true"/> if a warning passes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not defined.</exception>
    public bool WarningsPass(OversightLevel level) => warningsPass[Valid(level, nameof(level))];

    private static OversightLevel Valid(OversightLevel level, string parameterName) =>
        Enum.IsDefined(level)
            ? level
            : throw new ArgumentOutOfRangeException(parameterName, level, $"'{level}' is not a defined oversight level. Allowed: {string.Join(", ", Enum.GetNames<OversightLevel>())}.");
}
