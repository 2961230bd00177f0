using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using AgentOrchestration.Data.Qa;
using AgentOrchestration.Data.Sessions;

namespace AgentOrchestration.Data.Validation;

/// <summary>The rules for QA results and starting QA.</summary>
internal static class QaValidation
{
    /// <summary>Checks a result before anything is read; returns the success criteria flag to store.</summary>
    public static bool Result(NewQaResult? result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Input.Id(result.TaskId, "result.TaskId");
        SessionIds.ValidLookup(result.SessionId, "result.SessionId");
        Input.Defined(result.QaType, "result.QaType");
        Input.Defined(result.Status, "result.Status");
        if (result.Status == QaResultStatus.Fail && string.IsNullOrWhiteSpace(result.RemediationNeeded))
        {
            throw new ArgumentException(
                $"result.RemediationNeeded {Input.Show(result.RemediationNeeded)} is missing on a failing {StoredEnum.ToStore(result.QaType)} result. Allowed: say what must be fixed (1 to {NewQaResult.MaxRemediationLength} characters).",
                "result.RemediationNeeded");
        }

        if (result.RemediationNeeded is not null)
        {
            Input.Text(result.RemediationNeeded, "result.RemediationNeeded", NewQaResult.MaxRemediationLength, required: true);
        }

        Input.Entries(result.Findings, "result.Findings", NewQaResult.MaxEntries, (finding, name) =>
        {
            Input.OptionalName(finding.Severity, name + ".Severity", InputLimits.Capability);
            Input.Text(finding.Message, name + ".Message", InputLimits.Note, required: true);
            Location(finding.File, finding.Line, name);
        });
        Input.Entries(result.MockViolations, "result.MockViolations", NewQaResult.MaxEntries, (violation, name) =>
        {
            Input.Text(violation.Description, name + ".Description", InputLimits.Note, required: true);
            Location(violation.File, violation.Line, name);
        });
        Input.OptionalName(result.Actor, "result.Actor", InputLimits.Actor);

        var passing = result.Status != QaResultStatus.Fail;
        if (result.QaType != QaType.SuccessCriteria)
        {
            return result.SuccessCriteriaMet ?? false;
        }

        if (result.SuccessCriteriaMet is { } met && met != passing)
        {
            throw new ArgumentException(
                $"result.SuccessCriteriaMet {met} contradicts a success_criteria result with status '{StoredEnum.ToStore(result.Status)}', which says the criteria are {(passing ? "met" : "not met")}. Allowed: {passing} or null (null follows the status).",
                "result.SuccessCriteriaMet");
        }

        return passing;
    }

    public static void Start(Guid taskId, string? sessionId)
    {
        Input.Id(taskId, nameof(taskId));
        SessionValidation.Key(sessionId);
    }

    private static void Location(string? file, int? line, string field)
    {
        Input.OptionalName(file, field + ".File", InputLimits.Note);
        if (line is { } number && number < 1)
        {
            throw new ArgumentOutOfRangeException(field + ".Line", number, $"{field}.Line {number} is out of range. Allowed: 1 or more (lines start at 1), or null.");
        }
    }
}
