using AgentOrchestration.Data.Entities;

namespace AgentOrchestration.Data.Dashboards;

/// <summary>The outcomes of every QA result of one type recorded for a project's (or sprint's) tasks.</summary>
/// <param name="QaType">The kind of check.</param>
/// <param name="Total">How many results were recorded.</param>
/// <param name="Passed">How many passed cleanly.</param>
/// <param name="Warnings">How many passed with findings.</param>
/// <param name="Failed">How many failed.</param>
public sealed record QaPassRate(QaType QaType, int Total, int Passed, int Warnings, int Failed)
{
    /// <summary>Gets the share of results that passed, with or without findings, from 0 to 1; 0 when there are none.</summary>
    public double PassRate => Total == 0 ? 0 : (double)(Passed + Warnings) / Total;
}
