namespace AgentOrchestration.Data.Tests.Infrastructure;

public static class SoakChild
{
    public static Task<int> RunAsync(string[] args) => Task.FromResult(2);
}
