namespace AgentOrchestration.Data.Entities;

/// <summary>A kind of QA check, stored as <c>code_review</c>, <c>functional_test</c>, <c>mock_detection</c> or <c>success_criteria</c>.</summary>
public enum QaType
{
    /// <summary>A review of the code.</summary>
    CodeReview,

    /// <summary>Tests of the behaviour.</summary>
    FunctionalTest,

    /// <summary>A search for mocks and shortcuts posing as real work.</summary>
    MockDetection,

    /// <summary>A check of the success criteria.</summary>
    SuccessCriteria,
}
