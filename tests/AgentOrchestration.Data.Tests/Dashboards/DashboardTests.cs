using AgentOrchestration.Data.Dashboards;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Dashboards;

/// <summary>
/// Every dashboard query against the seeded world: exact results (expected values computed from the seeded rows with
/// LINQ to objects), paging, project and sprint scoping, the clock, validation, and one command per call.
/// </summary>
public sealed class DashboardTests(DatabaseProvider provider) : DashboardFixture(provider)
{
    private static readonly AssignmentStatus[] ActiveAssignment = [AssignmentStatus.Assigned, AssignmentStatus.Started, AssignmentStatus.Paused];

    private IEnumerable<WorkItem> ItemsIn(Guid projectId, Guid? sprintId) =>
        Seed.Items.Where(w => w.ProjectId == projectId && (sprintId is null || w.SprintId == sprintId));

    // ---- work by status ----

    private List<WorkStatusCount> ExpectedWorkByStatus(Guid projectId, Guid? sprintId) =>
        [.. ItemsIn(projectId, sprintId)
            .GroupBy(w => (w.Status, w.DelegationStatus))
            .OrderBy(g => g.Key.Status).ThenBy(g => g.Key.DelegationStatus)
            .Select(g => new WorkStatusCount(g.Key.Status, g.Key.DelegationStatus, g.Count(), g.Sum(w => w.EstimatedHours ?? 0), g.Sum(w => w.ActualHours ?? 0)))];

    [Test]
    public async Task Work_by_status_counts_and_sums_hours_per_project_and_sprint()
    {
        foreach (var (projectId, sprintId) in new (Guid, Guid?)[]
                 {
                     (Seed.Project.Id, null), (Seed.Project.Id, Seed.SprintOne.Id), (Seed.Project.Id, Seed.SprintTwo.Id),
                     (Seed.OtherProject.Id, null), (Seed.OtherProject.Id, Seed.OtherSprint.Id),
                 })
        {
            var expected = ExpectedWorkByStatus(projectId, sprintId);
            var actual = await OneCommandAsync(d => d.GetWorkByStatusAsync(projectId, sprintId));
            Assert.That(actual, Is.EqualTo(expected), $"project {projectId}, sprint {sprintId}");
        }

        var whole = await OneCommandAsync(d => d.GetWorkByStatusAsync(Seed.Project.Id));
        Assert.Multiple(() =>
        {
            Assert.That(whole.Sum(r => r.Count), Is.EqualTo(94), "90 random items and 4 pinned ones");
            Assert.That(whole.Select(r => (r.Status, r.DelegationStatus)), Is.Unique);
            Assert.That(whole.Sum(r => r.EstimatedHours), Is.EqualTo(Seed.Items.Where(w => w.ProjectId == Seed.Project.Id).Sum(w => w.EstimatedHours ?? 0)));
        });
    }

    [Test]
    public async Task Work_by_status_aggregates_in_the_database()
    {
        var (_, commands) = await QueryAsync(d => d.GetWorkByStatusAsync(Seed.Project.Id, Seed.SprintOne.Id));
        Assert.That(commands, Has.Count.EqualTo(1));
        Assert.That(commands[0], Does.Contain("GROUP BY").IgnoreCase.And.Contain("count(*)").IgnoreCase.And.Contain("sum(").IgnoreCase);
    }

    [Test]
    public async Task Work_by_status_of_an_unknown_project_or_a_sprint_of_another_project_is_empty()
    {
        Assert.That(await OneCommandAsync(d => d.GetWorkByStatusAsync(Guid.NewGuid())), Is.Empty);
        Assert.That(await OneCommandAsync(d => d.GetWorkByStatusAsync(Seed.Project.Id, Seed.OtherSprint.Id)), Is.Empty);
    }

    // ---- agent workload ----

    private List<AgentWorkload> ExpectedWorkload(Guid projectId, Guid? sprintId)
    {
        var now = Now;
        var items = ItemsIn(projectId, sprintId).ToDictionary(w => w.Id);
        return [.. Seed.Assignments
            .Where(a => ActiveAssignment.Contains(a.Status) && (a.LeaseExpiresAt is null || a.LeaseExpiresAt > now) && items.ContainsKey(a.WorkItemId))
            .GroupBy(a => a.AgentId)
            .Select(g =>
            {
                var agent = Seed.Agents.Single(x => x.Id == g.Key);
                return new AgentWorkload(agent.Id, agent.Slug, agent.Name, agent.Status, agent.MaxConcurrentTasks, g.Count(),
                    g.Sum(a => items[a.WorkItemId].EstimatedHours ?? 0), g.Sum(a => items[a.WorkItemId].ActualHours ?? 0));
            })
            .OrderByDescending(w => w.ActiveAssignments).ThenBy(w => w.Slug, StringComparer.Ordinal)];
    }

    [Test]
    public async Task Workload_counts_live_active_assignments_and_the_hours_of_the_held_work()
    {
        foreach (var (projectId, sprintId) in new (Guid, Guid?)[]
                 {
                     (Seed.Project.Id, null), (Seed.Project.Id, Seed.SprintOne.Id), (Seed.Project.Id, Seed.SprintTwo.Id), (Seed.OtherProject.Id, null),
                 })
        {
            var expected = ExpectedWorkload(projectId, sprintId);
            var actual = await OneCommandAsync(d => d.GetAgentWorkloadAsync(projectId, sprintId, 0, IOrchestrationDashboard.MaxPageSize));
            Assert.That(actual, Is.EqualTo(expected), $"project {projectId}, sprint {sprintId}");
        }

        var workload = await OneCommandAsync(d => d.GetAgentWorkloadAsync(Seed.Project.Id));
        Assert.Multiple(() =>
        {
            Assert.That(workload, Is.Not.Empty);
            Assert.That(workload.Select(w => w.Slug), Does.Not.Contain("dash-agent-e"), "agent e holds work in the other project only");
            Assert.That(workload.Sum(w => w.ActiveAssignments), Is.LessThan(Seed.Assignments.Count(a => ActiveAssignment.Contains(a.Status))),
                "expired leases, the other project and the lease ending now are left out");
        });
    }

    [Test]
    public async Task Workload_drops_a_lease_once_it_expires_on_the_registered_clock()
    {
        var agent = Seed.LeaseEndingNow.AgentId;
        var before = ExpectedWorkload(Seed.Project.Id, Seed.SprintTwo.Id);

        // The pinned lease expires exactly now, so it is already out; renew it a minute and it counts until the clock passes it.
        await using (var db = CreateContext())
        {
            var assignment = await db.TaskAssignments.FindAsync(Seed.LeaseEndingNow.Id);
            assignment!.LeaseExpiresAt = Now + TimeSpan.FromMinutes(1);
            await db.SaveChangesAsync();
            Seed.LeaseEndingNow.LeaseExpiresAt = assignment.LeaseExpiresAt;
        }

        var renewed = await OneCommandAsync(d => d.GetAgentWorkloadAsync(Seed.Project.Id, Seed.SprintTwo.Id));
        Assert.That(renewed, Is.EqualTo(ExpectedWorkload(Seed.Project.Id, Seed.SprintTwo.Id)));
        Assert.That(renewed.Single(w => w.AgentId == agent).ActiveAssignments,
            Is.EqualTo((before.SingleOrDefault(w => w.AgentId == agent)?.ActiveAssignments ?? 0) + 1));

        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(await OneCommandAsync(d => d.GetAgentWorkloadAsync(Seed.Project.Id, Seed.SprintTwo.Id)), Is.EqualTo(ExpectedWorkload(Seed.Project.Id, Seed.SprintTwo.Id)));
        Assert.That(ExpectedWorkload(Seed.Project.Id, Seed.SprintTwo.Id), Is.Not.EqualTo(renewed), "the advance must change something for this test to mean anything");
    }

    // ---- active sessions ----

    private List<LiveSession> ExpectedSessions(Guid projectId)
    {
        var now = Now;
        return [.. Seed.Sessions
            .Where(s => s.ProjectId == projectId && s.Status is SessionStatus.Active or SessionStatus.Paused)
            .OrderBy(s => s.StartTime)
            .Select(s => new LiveSession(
                s.Id, s.SessionId, s.Status, s.AgentType, s.AgentId, Seed.Agents.SingleOrDefault(a => a.Id == s.AgentId)?.Slug, s.TaskId, s.CurrentAction,
                s.StartTime, s.LastHeartbeatAt, now - (s.LastHeartbeatAt ?? s.StartTime),
                [.. Seed.Locks
                    .Where(l => l.LockedBySession == s.SessionId && (l.ExpiresAt is null || l.ExpiresAt > now))
                    .OrderBy(l => l.FilePath, StringComparer.Ordinal)
                    .Select(l => new HeldLock(l.FilePath, l.LockType, l.AcquiredAt, l.ExpiresAt))]))];
    }

    private static void AssertSessions(IReadOnlyList<LiveSession> actual, IReadOnlyList<LiveSession> expected)
    {
        // Records compare lists by reference: compare the sessions without their locks, then the locks.
        Assert.That(actual.Select(s => s with { Locks = [] }), Is.EqualTo(expected.Select(s => s with { Locks = [] })));
        Assert.That(actual.Select(s => s.Locks), Is.EqualTo(expected.Select(s => s.Locks)));
    }

    [Test]
    public async Task Active_sessions_show_their_action_heartbeat_age_and_unexpired_locks()
    {
        foreach (var projectId in new[] { Seed.Project.Id, Seed.OtherProject.Id })
        {
            var expected = ExpectedSessions(projectId);
            var actual = await OneCommandAsync(d => d.GetActiveSessionsAsync(projectId));
            AssertSessions(actual, expected);
        }

        var first = (await OneCommandAsync(d => d.GetActiveSessionsAsync(Seed.Project.Id))).Single(s => s.SessionId == Seed.Sessions[0].SessionId);
        Assert.Multiple(() =>
        {
            Assert.That(first.Locks.Select(l => l.FilePath), Does.Contain("src/mod-00/file-98.cs"));
            Assert.That(first.Locks.Select(l => l.FilePath), Does.Not.Contain(Seed.LockEndingNow.FilePath), "a lock expiring now is not held");
            Assert.That(first.HeartbeatAge, Is.EqualTo(Now - Seed.Sessions[0].LastHeartbeatAt!.Value));
        });
    }

    [Test]
    public async Task Heartbeat_age_grows_with_the_registered_clock_and_expired_locks_drop_out()
    {
        var before = await OneCommandAsync(d => d.GetActiveSessionsAsync(Seed.Project.Id));
        Clock.Advance(TimeSpan.FromMinutes(30));
        var after = await OneCommandAsync(d => d.GetActiveSessionsAsync(Seed.Project.Id));
        AssertSessions(after, ExpectedSessions(Seed.Project.Id));
        Assert.Multiple(() =>
        {
            Assert.That(after.Select(s => s.HeartbeatAge), Is.EqualTo(before.Select(s => s.HeartbeatAge + TimeSpan.FromMinutes(30))));
            Assert.That(after.Sum(s => s.Locks.Count), Is.LessThan(before.Sum(s => s.Locks.Count)), "some seeded locks expire within the half hour");
        });
    }

    [Test]
    public async Task Active_sessions_page_in_start_order()
    {
        var expected = ExpectedSessions(Seed.Project.Id);
        Assume.That(expected, Has.Count.GreaterThan(3));
        var pages = new List<LiveSession>();
        for (var skip = 0; ; skip += 2)
        {
            var page = await OneCommandAsync(d => d.GetActiveSessionsAsync(Seed.Project.Id, skip, 2));
            Assert.That(page, Has.Count.LessThanOrEqualTo(2));
            pages.AddRange(page);
            if (page.Count < 2)
            {
                break;
            }
        }

        AssertSessions(pages, expected);
    }

    // ---- QA pass rates ----

    private List<QaPassRate> ExpectedQa(Guid projectId, Guid? sprintId)
    {
        var tasks = ItemsIn(projectId, sprintId).Select(w => w.Id).ToHashSet();
        var results = Seed.QaResults.Where(r => tasks.Contains(r.TaskId)).ToList();
        return [.. Enum.GetValues<QaType>().Select(type =>
        {
            var ofType = results.Where(r => r.QaType == type).ToList();
            return new QaPassRate(type, ofType.Count, ofType.Count(r => r.Status == QaResultStatus.Pass),
                ofType.Count(r => r.Status == QaResultStatus.Warning), ofType.Count(r => r.Status == QaResultStatus.Fail));
        })];
    }

    [Test]
    public async Task Qa_pass_rates_count_outcomes_per_type_for_the_project_or_sprint()
    {
        foreach (var (projectId, sprintId) in new (Guid, Guid?)[]
                 {
                     (Seed.Project.Id, null), (Seed.Project.Id, Seed.SprintOne.Id), (Seed.OtherProject.Id, null), (Seed.OtherProject.Id, Seed.OtherSprint.Id),
                 })
        {
            var expected = ExpectedQa(projectId, sprintId);
            var actual = await OneCommandAsync(d => d.GetQaPassRatesAsync(projectId, sprintId));
            Assert.That(actual, Is.EqualTo(expected), $"project {projectId}, sprint {sprintId}");
        }

        var rates = await OneCommandAsync(d => d.GetQaPassRatesAsync(Seed.Project.Id));
        Assert.Multiple(() =>
        {
            Assert.That(rates.Sum(r => r.Total), Is.GreaterThan(0));
            foreach (var rate in rates.Where(r => r.Total > 0))
            {
                Assert.That(rate.PassRate, Is.EqualTo((double)(rate.Passed + rate.Warnings) / rate.Total).Within(1e-12));
            }
        });
    }

    [Test]
    public async Task Qa_pass_rates_list_every_type_even_without_results()
    {
        var rates = await OneCommandAsync(d => d.GetQaPassRatesAsync(Guid.NewGuid()));
        Assert.That(rates, Is.EqualTo(Enum.GetValues<QaType>().Select(t => new QaPassRate(t, 0, 0, 0, 0))));
        Assert.That(rates.Select(r => r.PassRate), Is.All.EqualTo(0d));
    }

    // ---- blocked and stale work ----

    private List<StalledWorkItem> ExpectedStalled(Guid projectId, Guid? sprintId, TimeSpan staleAfter)
    {
        var now = Now;
        var cutoff = now - staleAfter;
        return [.. ItemsIn(projectId, sprintId)
            .Where(w => w.Status is not (WorkItemStatus.Done or WorkItemStatus.Cancelled)
                && (w.Status is WorkItemStatus.InProgress or WorkItemStatus.InReview or WorkItemStatus.Blocked
                    || w.DelegationStatus is DelegationStatus.Assigned or DelegationStatus.InProgress or DelegationStatus.Blocked))
            .Select(w => (Item: w, Blocked: w.Status == WorkItemStatus.Blocked || w.DelegationStatus == DelegationStatus.Blocked, Stale: w.UpdatedAt < cutoff))
            .Where(x => x.Blocked || x.Stale)
            .OrderBy(x => x.Item.UpdatedAt)
            .Select(x => new StalledWorkItem(
                x.Item.Id, x.Item.Type, x.Item.Title, x.Item.Status, x.Item.DelegationStatus, x.Item.Priority, x.Item.SprintId, x.Item.AssignedAgentId,
                Seed.Agents.SingleOrDefault(a => a.Id == x.Item.AssignedAgentId)?.Slug, x.Item.UpdatedAt, now - x.Item.UpdatedAt, x.Blocked, x.Stale))];
    }

    [Test]
    public async Task Blocked_and_stale_work_lists_blocked_items_and_items_under_way_without_progress()
    {
        foreach (var (projectId, sprintId) in new (Guid, Guid?)[]
                 {
                     (Seed.Project.Id, null), (Seed.Project.Id, Seed.SprintOne.Id), (Seed.OtherProject.Id, null),
                 })
        {
            var expected = ExpectedStalled(projectId, sprintId, DashboardSeed.StaleAfter);
            var actual = await OneCommandAsync(d => d.GetBlockedAndStaleWorkAsync(projectId, DashboardSeed.StaleAfter, sprintId, 0, IOrchestrationDashboard.MaxPageSize));
            Assert.That(actual, Is.EqualTo(expected), $"project {projectId}, sprint {sprintId}");
        }

        var all = await OneCommandAsync(d => d.GetBlockedAndStaleWorkAsync(Seed.Project.Id, DashboardSeed.StaleAfter, take: IOrchestrationDashboard.MaxPageSize));
        Assert.Multiple(() =>
        {
            Assert.That(all.Select(w => w.Id), Does.Not.Contain(Seed.AtCutoff.Id), "unchanged for exactly the threshold is not stale");
            Assert.That(all.Single(w => w.Id == Seed.PastCutoff.Id), Has.Property(nameof(StalledWorkItem.IsStale)).True.And.Property(nameof(StalledWorkItem.IsBlocked)).False);
            Assert.That(all.Where(w => !w.IsStale), Is.Not.Empty.And.All.Property(nameof(StalledWorkItem.IsBlocked)).True, "recent items are listed only when blocked");
            Assert.That(all.Single(w => w.Id == Seed.RecentlyBlocked.Id), Has.Property(nameof(StalledWorkItem.IsStale)).False.And.Property(nameof(StalledWorkItem.Idle)).EqualTo(TimeSpan.FromSeconds(45)));
            Assert.That(all.Select(w => w.Id), Does.Not.Contain(Seed.RecentlyLeased.Id), "recent work in progress is fine");
            Assert.That(all.Select(w => w.Status), Has.None.EqualTo(WorkItemStatus.Done).And.None.EqualTo(WorkItemStatus.Cancelled));
        });
    }

    [Test]
    public async Task Stale_threshold_is_measured_on_the_registered_clock()
    {
        var before = await OneCommandAsync(d => d.GetBlockedAndStaleWorkAsync(Seed.Project.Id, DashboardSeed.StaleAfter, take: 500));
        Assert.That(before.Select(w => w.Id), Does.Not.Contain(Seed.AtCutoff.Id));

        Clock.Advance(TimeSpan.FromSeconds(1));
        var after = await OneCommandAsync(d => d.GetBlockedAndStaleWorkAsync(Seed.Project.Id, DashboardSeed.StaleAfter, take: 500));
        Assert.That(after, Is.EqualTo(ExpectedStalled(Seed.Project.Id, null, DashboardSeed.StaleAfter)));
        Assert.That(after.Single(w => w.Id == Seed.AtCutoff.Id).Idle, Is.EqualTo(DashboardSeed.StaleAfter + TimeSpan.FromSeconds(1)));

        var shorter = await OneCommandAsync(d => d.GetBlockedAndStaleWorkAsync(Seed.Project.Id, TimeSpan.FromMinutes(30), take: 500));
        Assert.That(shorter, Is.EqualTo(ExpectedStalled(Seed.Project.Id, null, TimeSpan.FromMinutes(30))));
        Assert.That(shorter, Has.Count.GreaterThan(after.Count));
    }

    [Test]
    public async Task Blocked_and_stale_work_pages_longest_unchanged_first()
    {
        var expected = ExpectedStalled(Seed.Project.Id, null, DashboardSeed.StaleAfter);
        Assume.That(expected, Has.Count.GreaterThan(7));
        var pages = new List<StalledWorkItem>();
        for (var skip = 0; skip < expected.Count + 7; skip += 7)
        {
            pages.AddRange(await OneCommandAsync(d => d.GetBlockedAndStaleWorkAsync(Seed.Project.Id, DashboardSeed.StaleAfter, null, skip, 7)));
        }

        Assert.That(pages, Is.EqualTo(expected));
    }

    // ---- recent events ----

    [Test]
    public async Task Recent_events_are_the_projects_newest_first_with_their_payload()
    {
        var expected = Seed.Events.Where(e => e.ProjectId == Seed.Project.Id).OrderByDescending(e => e.Sequence).ToList();
        Assume.That(expected, Has.Count.GreaterThan(20));

        var pages = new List<RecentEvent>();
        for (var skip = 0; skip < expected.Count + 10; skip += 10)
        {
            pages.AddRange(await OneCommandAsync(d => d.GetRecentEventsAsync(Seed.Project.Id, skip, 10)));
        }

        Assert.That(pages.Select(e => (e.Sequence, e.OccurredAt, e.Type, e.EntityType, e.EntityId, e.Actor)),
            Is.EqualTo(expected.Select(e => (e.Sequence, e.OccurredAt, e.Type, e.EntityType, e.EntityId, e.Actor))));
        Assert.That(pages.Select(e => e.Payload is null ? null : $"{e.Payload.From}>{e.Payload.To} {e.Payload.AgentId} {e.Payload.Reason} {string.Join(",", e.Payload.Data.Select(d => d.Key + "=" + d.Value))}"),
            Is.EqualTo(expected.Select(e => e.Payload is null ? null : $"{e.Payload.From}>{e.Payload.To} {e.Payload.AgentId} {e.Payload.Reason} {string.Join(",", e.Payload.Data.Select(d => d.Key + "=" + d.Value))}")));

        var latest = await OneCommandAsync(d => d.GetRecentEventsAsync(Seed.Project.Id, take: 5));
        Assert.That(latest.Select(e => e.Sequence), Is.EqualTo(expected.Take(5).Select(e => e.Sequence)));
    }

    // ---- snapshot ----

    [Test]
    public async Task Snapshot_holds_every_part_against_one_clock_reading_through_one_connection()
    {
        foreach (var sprintId in new Guid?[] { null, Seed.SprintTwo.Id })
        {
            var (snapshot, commands) = await QueryAsync(d => d.GetSnapshotAsync(Seed.Project.Id, DashboardSeed.StaleAfter, sprintId, take: 5));
            Assert.Multiple(() =>
            {
                Assert.That(commands, Has.Count.EqualTo(6), "one command per part");
                Assert.That(Connections.Opened, Is.EqualTo(1), "the parts share one connection");
                Assert.That(snapshot.TakenAt, Is.EqualTo(Now));
                Assert.That(snapshot.WorkByStatus, Is.EqualTo(ExpectedWorkByStatus(Seed.Project.Id, sprintId)));
                Assert.That(snapshot.AgentWorkload, Is.EqualTo(ExpectedWorkload(Seed.Project.Id, sprintId).Take(5)));
                Assert.That(snapshot.QaPassRates, Is.EqualTo(ExpectedQa(Seed.Project.Id, sprintId)));
                Assert.That(snapshot.BlockedAndStaleWork, Is.EqualTo(ExpectedStalled(Seed.Project.Id, sprintId, DashboardSeed.StaleAfter).Take(5)));
                Assert.That(snapshot.RecentEvents.Select(e => e.Sequence),
                    Is.EqualTo(Seed.Events.Where(e => e.ProjectId == Seed.Project.Id).OrderByDescending(e => e.Sequence).Take(5).Select(e => e.Sequence)));
            });
            AssertSessions(snapshot.ActiveSessions, [.. ExpectedSessions(Seed.Project.Id).Take(5)]);
        }
    }

    [Test]
    public async Task Snapshot_refuses_bad_input_before_any_command()
    {
        foreach (var (staleAfter, take, parameter) in new[] { (TimeSpan.Zero, 5, "staleAfter"), (TimeSpan.FromHours(1), 0, "take"), (TimeSpan.FromHours(1), 501, "take") })
        {
            var (exception, commands) = await QueryAsync(async d =>
            {
                try
                {
                    await d.GetSnapshotAsync(Seed.Project.Id, staleAfter, null, take);
                    return null;
                }
                catch (ArgumentOutOfRangeException e)
                {
                    return e;
                }
            });
            Assert.That(exception?.ParamName, Is.EqualTo(parameter));
            Assert.That(commands, Is.Empty);
            Assert.That(Connections.Opened, Is.Zero);
        }
    }

    // ---- validation ----

    private static IEnumerable<TestCaseData> BadPages()
    {
        foreach (var (skip, take, name) in new[] { (-1, 10, "skip"), (int.MinValue, 10, "skip"), (0, 0, "take"), (0, -5, "take"), (0, IOrchestrationDashboard.MaxPageSize + 1, "take") })
        {
            yield return new TestCaseData(skip, take, name).SetArgDisplayNames($"skip {skip}", $"take {take}");
        }
    }

    [TestCaseSource(nameof(BadPages))]
    public async Task Bad_pages_are_refused_before_any_command(int skip, int take, string parameter)
    {
        var calls = new Func<IOrchestrationDashboard, Task>[]
        {
            d => d.GetAgentWorkloadAsync(Seed.Project.Id, null, skip, take),
            d => d.GetActiveSessionsAsync(Seed.Project.Id, skip, take),
            d => d.GetBlockedAndStaleWorkAsync(Seed.Project.Id, DashboardSeed.StaleAfter, null, skip, take),
            d => d.GetRecentEventsAsync(Seed.Project.Id, skip, take),
        };
        foreach (var call in calls)
        {
            var (exception, commands) = await QueryAsync(async d =>
            {
                try
                {
                    await call(d);
                    return null;
                }
                catch (ArgumentOutOfRangeException e)
                {
                    return e;
                }
            });
            Assert.That(exception, Is.Not.Null);
            Assert.Multiple(() =>
            {
                Assert.That(exception!.ParamName, Is.EqualTo(parameter));
                Assert.That(exception.ActualValue, Is.EqualTo(parameter == "skip" ? skip : take));
                Assert.That(exception.Message, parameter == "take" ? Does.Contain($"1 to {IOrchestrationDashboard.MaxPageSize}") : Does.Contain("0 or more"));
                Assert.That(commands, Is.Empty);
            });
        }
    }

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(-3600)]
    public async Task A_stale_threshold_that_is_not_positive_is_refused(int seconds)
    {
        var (exception, commands) = await QueryAsync(async d =>
        {
            try
            {
                await d.GetBlockedAndStaleWorkAsync(Seed.Project.Id, TimeSpan.FromSeconds(seconds));
                return null;
            }
            catch (ArgumentOutOfRangeException e)
            {
                return e;
            }
        });
        Assert.That(exception, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(exception!.ParamName, Is.EqualTo("staleAfter"));
            Assert.That(exception.ActualValue, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
            Assert.That(commands, Is.Empty);
        });
    }

    [Test]
    public async Task Dashboards_track_nothing()
    {
        await using var scope = Services.CreateAsyncScope();
        var dashboard = scope.ServiceProvider.GetRequiredService<IOrchestrationDashboard>();
        await dashboard.GetWorkByStatusAsync(Seed.Project.Id);
        await dashboard.GetAgentWorkloadAsync(Seed.Project.Id);
        await dashboard.GetActiveSessionsAsync(Seed.Project.Id);
        await dashboard.GetQaPassRatesAsync(Seed.Project.Id);
        await dashboard.GetBlockedAndStaleWorkAsync(Seed.Project.Id, DashboardSeed.StaleAfter);
        await dashboard.GetRecentEventsAsync(Seed.Project.Id);
        await dashboard.GetSnapshotAsync(Seed.Project.Id, DashboardSeed.StaleAfter);
        var context = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
        Assert.That(context.ChangeTracker.Entries(), Is.Empty);
    }
}
