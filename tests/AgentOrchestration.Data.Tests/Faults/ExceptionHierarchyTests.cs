using AgentOrchestration.Data.Faults;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Faults;

/// <summary>A caller tells a refusal from a fault by type alone, and the retry policy is refused when out of range.</summary>
public sealed class ExceptionHierarchyTests
{
    private static readonly Type[] Refusals = [.. typeof(AgentOrchestrationException).Assembly.GetExportedTypes()
        .Where(t => t.IsSubclassOf(typeof(AgentOrchestrationException)))];

    [Test]
    public void No_refusal_is_an_InvalidOperationException_and_the_transient_fault_is_not_a_refusal()
    {
        Assert.That(Refusals, Has.Length.GreaterThan(10));
        Assert.That(typeof(AgentOrchestrationException).BaseType, Is.EqualTo(typeof(Exception)));
        Assert.That(Refusals.Where(t => typeof(InvalidOperationException).IsAssignableFrom(t)), Is.Empty);
        Assert.That(typeof(AgentOrchestrationTransientException).BaseType, Is.EqualTo(typeof(Exception)));
    }

    [Test]
    public void A_refusal_thrown_by_the_library_is_not_caught_as_InvalidOperationException()
    {
        Exception refusal = new EntityNotFoundException("agent", Guid.Empty);
        Assert.That(refusal, Is.Not.InstanceOf<InvalidOperationException>());
        Assert.That(refusal, Is.InstanceOf<AgentOrchestrationException>());
    }

    [Test]
    public void The_transient_exception_carries_the_operation_the_outcome_and_the_fault()
    {
        var inner = new IOException("connection reset");
        var fault = new AgentOrchestrationTransientException("IWorkClaimer.CompleteAsync", mayHaveCommitted: true, attempts: 3, inner);
        Assert.That(fault.InnerException, Is.SameAs(inner));
        Assert.That(fault.Message, Does.Contain("IWorkClaimer.CompleteAsync").And.Contain("3 attempts").And.Contain("may have committed").And.Contain("connection reset"));
        Assert.That(new AgentOrchestrationTransientException("op", false, 1, inner).Message, Does.Contain("nothing was committed"));
    }

    [TestCase(0, 50, 1000, "MaxAttempts")]
    [TestCase(21, 50, 1000, "MaxAttempts")]
    [TestCase(4, -1, 1000, "BaseDelay")]
    [TestCase(4, 2000, 1000, "BaseDelay")]
    [TestCase(4, 50, 61_000, "MaxDelay")]
    public void Retry_options_out_of_range_are_refused_at_registration(int attempts, int baseMs, int maxMs, string field)
    {
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => new ServiceCollection().AddAgentOrchestration(o => o.UseSqlite("Data Source=unused.db").ConfigureRetries(r =>
        {
            r.MaxAttempts = attempts;
            r.BaseDelay = TimeSpan.FromMilliseconds(baseMs);
            r.MaxDelay = TimeSpan.FromMilliseconds(maxMs);
        })));
        Assert.That(refused!.ParamName, Is.EqualTo(field));
        Assert.That(refused.Message, Does.Contain($"RetryOptions.{field}"));
    }

    [Test]
    public void Each_backoff_is_jittered_under_its_exponential_bound_and_the_cap()
    {
        var options = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) };
        for (var attempt = 1; attempt <= 8; attempt++)
        {
            var bound = TimeSpan.FromMilliseconds(Math.Min(1000, 50 * Math.Pow(2, attempt - 1)));
            var waits = Enumerable.Range(0, 200).Select(_ => options.Backoff(attempt)).ToList();
            Assert.That(waits, Has.All.InRange(TimeSpan.Zero, bound), $"attempt {attempt}");
            Assert.That(waits.Distinct().Count(), Is.GreaterThan(1), "jittered, not one fixed wait");
        }
    }
}
