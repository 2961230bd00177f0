namespace AgentOrchestration.Cli.Hosting;

/// <summary>Input the tool itself refuses before calling the library (a malformed lease, duration or option value): exit code 2.</summary>
internal sealed class InputException(string message) : Exception(message);

/// <summary>A refusal the tool decides itself, such as a staged path another session has locked, with its exit code.</summary>
internal sealed class RefusedException(int exitCode, string kind, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public string Kind { get; } = kind;
}
