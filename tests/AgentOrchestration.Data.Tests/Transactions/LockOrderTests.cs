using AgentOrchestration.Data.Storage;

namespace AgentOrchestration.Data.Tests.Transactions;

/// <summary>The lock order (scope, session, agent, work item) that every write's list of locks must follow.</summary>
public sealed class LockOrderTests
{
    [Test]
    public void Locks_in_level_order_are_accepted()
    {
        var item = Guid.NewGuid();
        Assert.DoesNotThrow(() => LockScope.EnsureOrder("work_item.start", [LockScope.Session("s-1"), LockScope.WorkItem(item)]));
        Assert.DoesNotThrow(() => LockScope.EnsureOrder("sprint.change", [LockScope.Sprints(Guid.NewGuid()), LockScope.Session("s-1"), LockScope.WorkItem(item)]));
    }

    [Test]
    public void A_lock_after_one_of_a_later_level_is_refused_naming_both()
    {
        var item = Guid.NewGuid();
        var refused = Assert.Throws<InvalidOperationException>(() => LockScope.EnsureOrder("work_item.start", [LockScope.WorkItem(item), LockScope.Session("s-1")]));
        Assert.That(refused!.Message, Does.Contain("'work_item.start'").And.Contain("'session:s-1'").And.Contain("'work-item'").And.Contain("Scope → Session → Agent → WorkItem"));
    }
}
