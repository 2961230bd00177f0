namespace AgentOrchestration.Dashboard;

/// <summary>What the dashboard listens on.</summary>
internal static class Hosts
{
    /// <summary>Whether every URL of <paramref name="urls"/> (semicolon-separated) binds a loopback address only.</summary>
    public static bool AllLoopback(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .All(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && (uri.IsLoopback || uri.Host == "localhost"));
}
