using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Locks;

namespace AgentOrchestration.Data.Testing;

/// <summary>The arguments of <see cref="IFileLockService.AcquireAsync"/> as one value, so a factory can make it and a test can change one of them with <c>with</c>.</summary>
/// <param name="SessionId">The active session taking the locks.</param>
/// <param name="Paths">1 to <see cref="FileLockLimits.MaxPathsPerCall"/> project-relative paths or patterns (see <see cref="LockPath"/>).</param>
/// <param name="LockType">Exclusive or shared.</param>
/// <param name="Ttl">How long the locks live unless renewed: more than zero, at most <see cref="FileLockLimits.MaxTtl"/>.</param>
public sealed record LockRequest(string SessionId, IReadOnlyList<string> Paths, FileLockType LockType, TimeSpan Ttl);
