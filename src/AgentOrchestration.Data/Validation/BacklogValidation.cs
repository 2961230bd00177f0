using AgentOrchestration.Data.Backlog;

namespace AgentOrchestration.Data.Validation;

/// <summary>The rules for backlog submissions, analyses, promotions and the agents that move items along.</summary>
internal static class BacklogValidation
{
    public static void Submission(BacklogSubmission? submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        Input.Id(submission.ProjectId, "submission.ProjectId");
        Input.Name(submission.Title, "submission.Title", InputLimits.Title);
        Input.Text(submission.Description, "submission.Description", BacklogSubmission.MaxTextLength, required: true);
        Input.Text(submission.SuccessCriteria, "submission.SuccessCriteria", BacklogSubmission.MaxTextLength, required: true);
        Input.Range(submission.Priority, "submission.Priority", 1, 5, "1 critical to 5 nice to have");
        Input.Range(submission.BusinessValue, "submission.BusinessValue", 1, 10);
        Input.Defined(submission.Complexity, "submission.Complexity");
        Input.Name(submission.CreatedBy, "submission.CreatedBy", InputLimits.Actor);
    }

    /// <summary>A change by <paramref name="agent"/> of the item <paramref name="id"/>, with an optional (or required) note.</summary>
    public static void Change(Guid id, string? agent, string? note = null, string noteField = "note", bool noteRequired = false, string idField = "backlogItemId")
    {
        Input.Id(id, idField);
        Input.Name(agent, nameof(agent), InputLimits.Actor);
        Input.Text(note, noteField, InputLimits.Note, noteRequired);
    }

    public static void Analysis(Guid backlogItemId, BacklogAnalysis? analysis)
    {
        Input.Id(backlogItemId, nameof(backlogItemId));
        ArgumentNullException.ThrowIfNull(analysis);
        Input.Name(analysis.Agent, "analysis.Agent", InputLimits.Actor);
        if (analysis.RiskScore is { } score)
        {
            Input.Range(score, "analysis.RiskScore", 0, 100);
        }

        if (analysis.Complexity is { } complexity)
        {
            Input.Defined(complexity, "analysis.Complexity");
        }

        Input.Text(analysis.PrimeNotes, "analysis.PrimeNotes", BacklogSubmission.MaxTextLength);
    }

    public static void Promotion(Guid backlogItemId, BacklogPromotion? promotion)
    {
        Input.Id(backlogItemId, nameof(backlogItemId));
        ArgumentNullException.ThrowIfNull(promotion);
        Input.Name(promotion.Agent, "promotion.Agent", InputLimits.Actor);
        Input.Id(promotion.EpicId, "promotion.EpicId");
        Input.Id(promotion.SprintId, "promotion.SprintId");
        Input.Hours(promotion.EstimatedHours, "promotion.EstimatedHours");
    }
}
