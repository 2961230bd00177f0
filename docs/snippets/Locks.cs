using AgentOrchestration.Data;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/locks.md.</summary>
internal static class Locks
{
    public static async Task AcquireAsync(AsyncServiceScope scope)
    {
        #region lock-files
        var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();

        try
        {
            var granted = await locks.AcquireAsync("session-42", ["src/Orders/**", "docs/orders.md"], FileLockType.Exclusive, TimeSpan.FromMinutes(15));
        }
        catch (FileLockConflictException refused)
        {
            foreach (var c in refused.Conflicts) // nothing was locked
            {
                Console.WriteLine($"{c.RequestedPath}: '{c.HeldPath}' held {c.HeldType} by {c.HolderSessionId} (agent {c.HolderAgentId}) until {c.ExpiresAt:O}");
            }
        }

        await locks.RenewAsync("session-42", TimeSpan.FromMinutes(15));   // with the session's heartbeat
        await locks.ReleaseAsync("session-42", ["docs/orders.md"]);
        await locks.ReleaseAllAsync("session-42");                        // when the session ends
        #endregion
    }

    public static async Task<int> PreCommitHookAsync(IFileLockService locks)
    {
        #region pre-commit-hook
        // A pre-commit hook: `git diff --cached --name-only` piped in, the agent's session key in AO_SESSION.
        var staged = Console.In.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var check = await locks.CheckWriteAsync(Environment.GetEnvironmentVariable("AO_SESSION")!, staged);
        if (!check.AllWritable)                         // or, strictly: !check.AllHeldExclusively
        {
            foreach (var c in check.Blocking)
            {
                Console.Error.WriteLine($"{c.RequestedPath} is locked: '{c.HeldPath}' ({c.HeldType}) by {c.HolderSessionId} until {c.ExpiresAt:O}");
            }

            return 1;                                   // reject the commit
        }

        return 0;
        #endregion
    }
}
