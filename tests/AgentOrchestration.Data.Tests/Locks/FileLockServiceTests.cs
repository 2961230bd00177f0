using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.EventLog;
using AgentOrchestration.Data.Locks;
using AgentOrchestration.Data.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Tests.Locks;

/// <summary>The lock service on each provider: conflicts, modes, TTLs, release rules, the session JSON, write checks, isolation, bad input.</summary>
public sealed class FileLockServiceTests(DatabaseProvider provider) : LockFixture(provider)
{
    [Test]
    public async Task Acquire_grants_normalised_locks_records_them_on_the_session_and_appends_events()
    {
        var project = await ProjectAsync();
        var session = await SessionAsync(project);

        var granted = await LocksAsync(l => l.AcquireAsync(session.SessionId, ["./src\\App.cs", "docs/", "src/App.cs"], FileLockType.Exclusive, Ttl));

        var now = Clock.GetUtcNow();
        Assert.Multiple(() =>
        {
            Assert.That(granted.Select(g => g.Path), Is.EqualTo(new[] { "src/App.cs", "docs/**" }), "normalised, duplicates once, in the order asked");
            Assert.That(granted.Select(g => g.ExpiresAt), Is.All.EqualTo(now + Ttl));
            Assert.That(granted.Select(g => g.AcquiredAt), Is.All.EqualTo(now));
            Assert.That(granted.Select(g => g.SessionId), Is.All.EqualTo(session.SessionId));
            Assert.That(granted.Select(g => g.AgentId), Is.All.EqualTo(session.AgentId));
            Assert.That(granted.Select(g => g.ProjectId), Is.All.EqualTo(project.Id));
        });

        var rows = await RowsAsync(session);
        Assert.That(rows.Select(r => (r.Id, r.FilePath, r.LockType, r.ExpiresAt)), Is.EquivalentTo(granted.Select(g => (g.Id, g.Path, g.LockType, g.ExpiresAt))));
        await AssertJsonInStepAsync(session);

        var events = await EventsAsync(OrchestrationEventTypes.FileLockAcquired);
        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => e.EntityId), Is.EquivalentTo(granted.Select(g => (Guid?)g.Id)));
            Assert.That(events.Select(e => e.Actor), Is.All.EqualTo(session.SessionId));
            Assert.That(events.Select(e => e.ProjectId), Is.All.EqualTo(project.Id));
            Assert.That(events.Select(e => e.EntityType), Is.All.EqualTo("file_lock"));
            Assert.That(events.Select(e => e.Payload!.To), Is.All.EqualTo("exclusive"));
            Assert.That(events.SelectMany(e => e.Payload!.Data).Where(d => d.Key == "path").Select(d => d.Value), Is.EquivalentTo(new[] { "src/App.cs", "docs/**" }));
        });
    }

    [Test]
    public async Task Acquire_is_all_or_nothing_and_the_refusal_names_holder_session_agent_and_expiry()
    {
        var project = await ProjectAsync();
        var holder = await SessionAsync(project);
        var asker = await SessionAsync(project);
        var held = (await AcquireAsync(holder, FileLockType.Exclusive, "src/**")).Single();
        var before = await SnapshotAsync();

        var refused = Assert.ThrowsAsync<FileLockConflictException>(() =>
            LocksAsync(l => l.AcquireAsync(asker.SessionId, ["docs/a.md", "src/a/b.cs", "lib/x.cs"], FileLockType.Exclusive, Ttl)))!;

        var conflict = refused.Conflicts.Single();
        Assert.Multiple(() =>
        {
            Assert.That(conflict.RequestedPath, Is.EqualTo("src/a/b.cs"));
            Assert.That(conflict.RequestedType, Is.EqualTo(FileLockType.Exclusive));
            Assert.That(conflict.HeldPath, Is.EqualTo("src/**"));
            Assert.That(conflict.HeldType, Is.EqualTo(FileLockType.Exclusive));
            Assert.That(conflict.HolderSessionId, Is.EqualTo(holder.SessionId));
            Assert.That(conflict.HolderAgentId, Is.EqualTo(holder.AgentId));
            Assert.That(conflict.ExpiresAt, Is.EqualTo(held.ExpiresAt));
            Assert.That(conflict.HeldLockId, Is.EqualTo(held.Id));
            Assert.That(refused.SessionId, Is.EqualTo(asker.SessionId));
            Assert.That(refused.Message, Does.Contain("'src/a/b.cs'").And.Contain("'src/**'").And.Contain(holder.SessionId)
                .And.Contain(holder.AgentId!.Value.ToString()).And.Contain(held.ExpiresAt!.Value.ToString("O")).And.Contain("none was taken"));
        });

        Assert.That(await SnapshotAsync(), Is.EqualTo(before), "a refused acquire writes nothing");
        await AssertJsonInStepAsync(asker);
    }

    [Test]
    public async Task Shared_locks_coexist_exclusive_is_refused_and_an_upgrade_waits_for_the_other_holders()
    {
        var project = await ProjectAsync();
        var a = await SessionAsync(project);
        var b = await SessionAsync(project);
        var c = await SessionAsync(project);

        var first = (await AcquireAsync(a, FileLockType.Shared, "docs/*.md")).Single();
        await AcquireAsync(b, FileLockType.Shared, "docs/readme.md");

        var exclusive = Assert.ThrowsAsync<FileLockConflictException>(() => AcquireAsync(c, FileLockType.Exclusive, "docs/**"))!;
        Assert.That(exclusive.Conflicts.Select(x => x.HolderSessionId), Is.EquivalentTo(new[] { a.SessionId, b.SessionId }));
        Assert.That(exclusive.Conflicts.Select(x => x.HeldType), Is.All.EqualTo(FileLockType.Shared));

        await AcquireAsync(c, FileLockType.Shared, "docs/**");
        Assert.That(await LocksAsync(l => l.GetLocksAsync(project.Id)), Has.Count.EqualTo(3));

        // Shared is refused by an exclusive lock, whichever way round.
        await AcquireAsync(c, FileLockType.Exclusive, "lib/x.cs");
        Assert.That(() => AcquireAsync(a, FileLockType.Shared, "lib/*"), Throws.TypeOf<FileLockConflictException>());

        // Upgrading shared to exclusive needs the others gone; the refresh keeps the row and when it was first taken.
        Assert.That(() => AcquireAsync(a, FileLockType.Exclusive, "docs/*.md"), Throws.TypeOf<FileLockConflictException>());
        await LocksAsync(l => l.ReleaseAllAsync(b.SessionId));
        await LocksAsync(l => l.ReleaseAsync(c.SessionId, ["docs/"]));
        Clock.Advance(TimeSpan.FromMinutes(1));
        var upgraded = (await AcquireAsync(a, FileLockType.Exclusive, "docs/*.md")).Single();
        Assert.Multiple(() =>
        {
            Assert.That(upgraded.Id, Is.EqualTo(first.Id));
            Assert.That(upgraded.LockType, Is.EqualTo(FileLockType.Exclusive));
            Assert.That(upgraded.AcquiredAt, Is.EqualTo(first.AcquiredAt));
            Assert.That(upgraded.ExpiresAt, Is.EqualTo(Clock.GetUtcNow() + Ttl));
        });

        // Asking for shared on an exclusive lock refreshes it and keeps it exclusive.
        var kept = (await AcquireAsync(a, FileLockType.Shared, "docs/*.md")).Single();
        Assert.That(kept.LockType, Is.EqualTo(FileLockType.Exclusive));
        Assert.That((await RowsAsync(a)).Single().LockType, Is.EqualTo(FileLockType.Exclusive));
        foreach (var session in new[] { a, b, c })
        {
            await AssertJsonInStepAsync(session);
        }
    }

    [Test]
    public async Task A_session_never_conflicts_with_itself()
    {
        var project = await ProjectAsync();
        var session = await SessionAsync(project);
        await AcquireAsync(session, FileLockType.Exclusive, "src/**");
        var more = await AcquireAsync(session, FileLockType.Exclusive, "src/a.cs", "src/*/b.cs", "**");
        Assert.That(more, Has.Count.EqualTo(3));
        Assert.That(await RowsAsync(session), Has.Count.EqualTo(4));
        await AssertJsonInStepAsync(session);
    }

    [Test]
    public async Task Expired_locks_never_block_and_are_cleared_when_their_session_next_acts()
    {
        var project = await ProjectAsync();
        var a = await SessionAsync(project);
        var b = await SessionAsync(project);
        await LocksAsync(l => l.AcquireAsync(a.SessionId, ["src/a.cs"], FileLockType.Exclusive, TimeSpan.FromMinutes(5)));

        Clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(10));
        Assert.That(() => AcquireAsync(b, FileLockType.Shared, "src/**"), Throws.TypeOf<FileLockConflictException>(), "live until its expiry");

        Clock.Advance(TimeSpan.FromTicks(10));
        Assert.That(await LocksAsync(l => l.GetLocksAsync(project.Id)), Is.Empty, "a lock is dead at its expiry");
        var check = await LocksAsync(l => l.CheckWriteAsync(b.SessionId, ["src/a.cs"]));
        Assert.That(check.AllWritable, Is.True);
        await AcquireAsync(b, FileLockType.Exclusive, "src/**");

        // a's expired row stays (it blocks nobody) until a acts; renewing does not revive it.
        Assert.That(await RowsAsync(a), Has.Count.EqualTo(1));
        var renewed = await LocksAsync(l => l.RenewAsync(a.SessionId, Ttl));
        Assert.Multiple(async () =>
        {
            Assert.That(renewed, Is.Empty);
            Assert.That(await RowsAsync(a), Is.Empty);
            Assert.That((await EventsAsync(OrchestrationEventTypes.FileLockExpired)).Select(e => e.Actor), Is.EqualTo(new[] { a.SessionId }));
            Assert.That(await LocksAsync(l => l.GetLocksAsync(project.Id)), Has.Count.EqualTo(1).And.All.Property(nameof(FileLockInfo.SessionId)).EqualTo(b.SessionId));
        });
        await AssertJsonInStepAsync(a);
        await AssertJsonInStepAsync(b);
    }

    [Test]
    public async Task Renew_extends_every_live_lock_of_the_session()
    {
        var project = await ProjectAsync();
        var a = await SessionAsync(project);
        var b = await SessionAsync(project);
        await LocksAsync(l => l.AcquireAsync(a.SessionId, ["src/a.cs", "docs/**"], FileLockType.Exclusive, TimeSpan.FromMinutes(5)));
        await LocksAsync(l => l.AcquireAsync(b.SessionId, ["lib/**"], FileLockType.Exclusive, TimeSpan.FromMinutes(5)));

        Clock.Advance(TimeSpan.FromMinutes(3));
        var renewed = await LocksAsync(l => l.RenewAsync(a.SessionId, TimeSpan.FromMinutes(10)));
        var until = Clock.GetUtcNow() + TimeSpan.FromMinutes(10);
        Assert.That(renewed.Select(r => r.ExpiresAt), Is.EqualTo(new DateTimeOffset?[] { until, until }));
        Assert.That((await RowsAsync(a)).Select(r => r.ExpiresAt), Is.All.EqualTo(until));
        Assert.That((await RowsAsync(b)).Single().ExpiresAt, Is.EqualTo(until - TimeSpan.FromMinutes(8)), "other sessions' locks untouched");
        Assert.That(await EventsAsync(OrchestrationEventTypes.FileLockRenewed), Has.Count.EqualTo(2));
        await AssertJsonInStepAsync(a);

        Clock.Advance(TimeSpan.FromMinutes(8));
        Assert.That(() => AcquireAsync(b, FileLockType.Exclusive, "src/**"), Throws.TypeOf<FileLockConflictException>(), "still held past the first expiry");
        Assert.That(await LocksAsync(l => l.GetLocksAsync(project.Id)), Has.Count.EqualTo(2), "b's own lock expired");
    }

    [Test]
    public async Task Only_the_holder_releases_and_release_matches_paths_exactly()
    {
        var project = await ProjectAsync();
        var a = await SessionAsync(project);
        var b = await SessionAsync(project);
        await AcquireAsync(a, FileLockType.Shared, "src/a.cs", "src/**");
        await AcquireAsync(b, FileLockType.Shared, "src/a.cs");
        var before = await RowsAsync(a);

        var none = await LocksAsync(l => l.ReleaseAsync(b.SessionId, ["src/**", "nothing/held.cs"]));
        Assert.That(none, Is.Empty, "b holds neither; a's src/** is not b's to release");
        Assert.That((await RowsAsync(a)).Select(r => r.Id), Is.EqualTo(before.Select(r => r.Id)));

        var released = await LocksAsync(l => l.ReleaseAsync(b.SessionId, ["./src/a.cs"]));
        Assert.That(released.Select(r => (r.Path, r.SessionId)), Is.EqualTo(new[] { ("src/a.cs", b.SessionId) }));
        Assert.That(await RowsAsync(a), Has.Count.EqualTo(2), "a's lock on the same path stays");
        Assert.That(await RowsAsync(b), Is.Empty);

        var mine = await LocksAsync(l => l.ReleaseAsync(a.SessionId, ["src/"]));
        Assert.That(mine.Select(r => r.Path), Is.EqualTo(new[] { "src/**" }), "exact: src/** goes, src/a.cs stays");
        Assert.That((await RowsAsync(a)).Select(r => r.FilePath), Is.EqualTo(new[] { "src/a.cs" }));
        Assert.That((await EventsAsync(OrchestrationEventTypes.FileLockReleased)).Select(e => e.Actor), Is.EqualTo(new[] { b.SessionId, a.SessionId }));
        await AssertJsonInStepAsync(a);
        await AssertJsonInStepAsync(b);
    }

    [Test]
    public async Task Release_all_clears_the_session_whatever_its_status()
    {
        var project = await ProjectAsync();
        var a = await SessionAsync(project);
        var other = await SessionAsync(project);
        await AcquireAsync(a, FileLockType.Exclusive, "src/**", "docs/a.md");
        await LocksAsync(l => l.AcquireAsync(a.SessionId, ["tmp/x"], FileLockType.Exclusive, TimeSpan.FromMinutes(1)));
        await AcquireAsync(other, FileLockType.Exclusive, "lib/**");
        Clock.Advance(TimeSpan.FromMinutes(2));

        await SetStatusAsync(a, SessionStatus.Completed);
        var released = await LocksAsync(l => l.ReleaseAllAsync(a.SessionId));

        Assert.Multiple(async () =>
        {
            Assert.That(released.Select(r => r.Path), Is.EquivalentTo(new[] { "src/**", "docs/a.md" }), "the live ones");
            Assert.That(await RowsAsync(a), Is.Empty);
            Assert.That(await RowsAsync(other), Has.Count.EqualTo(1));
            Assert.That(await EventsAsync(OrchestrationEventTypes.FileLockReleased), Has.Count.EqualTo(2));
            Assert.That(await EventsAsync(OrchestrationEventTypes.FileLockExpired), Has.Count.EqualTo(1));
            Assert.That(await LocksAsync(l => l.ReleaseAllAsync(a.SessionId)), Is.Empty, "idempotent");
        });
        await AssertJsonInStepAsync(a);
    }

    [Test]
    public async Task Releases_join_a_transaction_the_host_opened_so_ending_a_session_and_releasing_commit_together()
    {
        var project = await ProjectAsync();
        var session = await SessionAsync(project);
        await AcquireAsync(session, FileLockType.Exclusive, "src/**", "docs/a.md");

        foreach (var commit in new[] { false, true })
        {
            await using var scope = Services.CreateAsyncScope();
            var context = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
            var locks = scope.ServiceProvider.GetRequiredService<IFileLockService>();
            await using var transaction = await context.Database.BeginTransactionAsync();
            await context.AgentSessions.Where(s => s.SessionId == session.SessionId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SessionStatus.Completed).SetProperty(x => x.EndTime, Clock.GetUtcNow()));
            Assert.That(await locks.ReleaseAllAsync(session.SessionId), Has.Count.EqualTo(2));
            Assert.That(() => locks.AcquireAsync(session.SessionId, ["x.cs"], FileLockType.Exclusive, Ttl), Throws.InvalidOperationException.With.Message.Contains("already has one open"));
            if (commit)
            {
                await transaction.CommitAsync();
            }
            else
            {
                await transaction.RollbackAsync();
                Assert.That(await RowsAsync(session), Has.Count.EqualTo(2), "rolled back with the host's transaction");
                await AssertJsonInStepAsync(session);
            }
        }

        Assert.That(await RowsAsync(session), Is.Empty);
        Assert.That(await EventsAsync(OrchestrationEventTypes.FileLockReleased), Has.Count.EqualTo(2));
        await AssertJsonInStepAsync(session);
    }

    [Test]
    public async Task Check_write_answers_for_a_pre_commit_hook_without_writing()
    {
        var project = await ProjectAsync();
        var owner = await SessionAsync(project);
        var reader = await SessionAsync(project);
        var writer = await SessionAsync(project);
        await AcquireAsync(owner, FileLockType.Exclusive, "src/**");
        await AcquireAsync(reader, FileLockType.Shared, "docs/a.md");
        await AcquireAsync(writer, FileLockType.Exclusive, "lib/y.cs");
        var before = await SnapshotAsync();

        var check = await LocksAsync(l => l.CheckWriteAsync(writer.SessionId, ["src/x.cs", "./docs/a.md", "lib/y.cs", "README.md"]));
        Assert.Multiple(() =>
        {
            Assert.That(check.Writable, Is.EqualTo(new[] { "lib/y.cs", "README.md" }));
            Assert.That(check.AllWritable, Is.False);
            Assert.That(check.AllHeldExclusively, Is.False);
            Assert.That(check.Blocking.Select(b => (b.RequestedPath, b.HeldPath, b.HolderSessionId, b.HeldType)), Is.EqualTo(new[]
            {
                ("src/x.cs", "src/**", owner.SessionId, FileLockType.Exclusive),
                ("docs/a.md", "docs/a.md", reader.SessionId, FileLockType.Shared),
            }));
            Assert.That(check.Paths.Select(p => p.IsHeldExclusively), Is.EqualTo(new[] { false, false, true, false }));
        });

        var mine = await LocksAsync(l => l.CheckWriteAsync(owner.SessionId, ["src/x.cs", "src/deep/*.cs"]));
        Assert.Multiple(() =>
        {
            Assert.That(mine.AllWritable, Is.True);
            Assert.That(mine.AllHeldExclusively, Is.True);
        });

        Assert.That(await SnapshotAsync(), Is.EqualTo(before), "a check writes nothing");
    }

    [Test]
    public async Task A_session_that_is_not_active_cannot_lock_renew_or_check_but_can_release()
    {
        var project = await ProjectAsync();
        var paused = await SessionAsync(project, SessionStatus.Paused);
        var before = await SnapshotAsync();

        var refused = Assert.ThrowsAsync<SessionNotActiveException>(() => AcquireAsync(paused, FileLockType.Exclusive, "src/a.cs"))!;
        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(SessionStatus.Paused));
            Assert.That(refused.SessionId, Is.EqualTo(paused.SessionId));
            Assert.That(refused.Message, Does.Contain($"'{paused.SessionId}' is 'paused'").And.Contain("only an 'active' session"));
        });

        foreach (var status in new[] { SessionStatus.Completed, SessionStatus.Failed, SessionStatus.Halted })
        {
            await SetStatusAsync(paused, status);
            Assert.That(() => LocksAsync(l => l.RenewAsync(paused.SessionId, Ttl)), Throws.TypeOf<SessionNotActiveException>().With.Message.Contains($"'{StoredName(status)}'"));
            Assert.That(() => LocksAsync(l => l.CheckWriteAsync(paused.SessionId, ["src/a.cs"])), Throws.TypeOf<SessionNotActiveException>());
            Assert.That(await LocksAsync(l => l.ReleaseAsync(paused.SessionId, ["src/a.cs"])), Is.Empty);
        }

        await SetStatusAsync(paused, SessionStatus.Paused);
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));

        var missing = Assert.ThrowsAsync<EntityNotFoundException>(() => LocksAsync(l => l.AcquireAsync("no-such-session", ["src/a.cs"], FileLockType.Exclusive, Ttl)))!;
        Assert.That(missing.Message, Does.Contain("no-such-session"));
        Assert.That(() => LocksAsync(l => l.ReleaseAllAsync("no-such-session")), Throws.TypeOf<EntityNotFoundException>());
        Assert.That(() => LocksAsync(l => l.GetLocksAsync(Guid.NewGuid())), Throws.TypeOf<EntityNotFoundException>());
    }

    [Test]
    public async Task Locks_never_cross_projects()
    {
        var first = await ProjectAsync();
        var second = await ProjectAsync();
        var a = await SessionAsync(first);
        var b = await SessionAsync(second);

        await AcquireAsync(a, FileLockType.Exclusive, "src/**");
        await AcquireAsync(b, FileLockType.Exclusive, "src/**", "src/a.cs");

        Assert.That((await LocksAsync(l => l.GetLocksAsync(first.Id))).Select(x => x.SessionId), Is.EqualTo(new[] { a.SessionId }));
        Assert.That((await LocksAsync(l => l.CheckWriteAsync(b.SessionId, ["src/a.cs"]))).AllWritable, Is.True);

        Assert.That(await LocksAsync(l => l.ReleaseAsync(b.SessionId, ["src/**"])), Has.Count.EqualTo(1));
        await LocksAsync(l => l.ReleaseAllAsync(b.SessionId));
        Assert.That(await RowsAsync(a), Has.Count.EqualTo(1), "b's releases never reach a's project");
        Assert.That((await RowsAsync(a)).Single().ProjectId, Is.EqualTo(first.Id));
        await AssertJsonInStepAsync(a);
        await AssertJsonInStepAsync(b);
    }

    [Test]
    public async Task Bad_input_is_refused_with_a_clear_message_and_leaves_the_database_unchanged()
    {
        var project = await ProjectAsync();
        var session = await SessionAsync(project);
        await AcquireAsync(session, FileLockType.Shared, "docs/**");
        var before = await SnapshotAsync();
        var id = session.SessionId;
        var tooMany = Enumerable.Range(0, FileLockLimits.MaxPathsPerCall + 1).Select(i => $"f{i}.cs").ToArray();

        var cases = new (string Name, Func<IFileLockService, Task> Call, string Expected)[]
        {
            ("absolute", l => l.AcquireAsync(id, ["src/ok.cs", "/etc/passwd"], FileLockType.Exclusive, Ttl), "paths[1]: The lock path '/etc/passwd' is absolute"),
            ("windows absolute", l => l.AcquireAsync(id, ["C:\\repo\\x.cs"], FileLockType.Exclusive, Ttl), "'C:\\repo\\x.cs' is absolute"),
            ("escape", l => l.AcquireAsync(id, ["src/../../x"], FileLockType.Exclusive, Ttl), "'src/../../x' has a '..' segment"),
            ("empty path", l => l.AcquireAsync(id, ["ok.cs", " "], FileLockType.Exclusive, Ttl), "paths[1]: The lock path ' ' is empty"),
            ("null path", l => l.AcquireAsync(id, [null!], FileLockType.Exclusive, Ttl), "paths[0]: The lock path is null"),
            ("too long", l => l.AcquireAsync(id, [new string('x', 2000)], FileLockType.Exclusive, Ttl), "2000 characters long; at most 1024"),
            ("trailing dot", l => l.AcquireAsync(id, ["src/ok.cs", "src/a.cs."], FileLockType.Exclusive, Ttl), "paths[1]: The lock path 'src/a.cs.' has the segment 'a.cs.', which ends in a dot"),
            ("trailing space", l => l.AcquireAsync(id, ["src/a.cs "], FileLockType.Shared, Ttl), "paths[0]: The lock path 'src/a.cs ' has the segment 'a.cs ', which ends in a space"),
            ("check trailing dot", l => l.CheckWriteAsync(id, ["docs/a.md."]), "Windows drops trailing dots and spaces, so there it names 'a.md'"),
            ("no paths", l => l.AcquireAsync(id, [], FileLockType.Exclusive, Ttl), "0 paths were given; between 1 and 1000"),
            ("too many paths", l => l.AcquireAsync(id, tooMany, FileLockType.Exclusive, Ttl), "1001 paths were given; between 1 and 1000"),
            ("zero ttl", l => l.AcquireAsync(id, ["a.cs"], FileLockType.Exclusive, TimeSpan.Zero), "more than zero and at most 1.00:00:00"),
            ("negative ttl", l => l.AcquireAsync(id, ["a.cs"], FileLockType.Exclusive, TimeSpan.FromSeconds(-1)), "ttl -00:00:01 is out of range"),
            ("huge ttl", l => l.AcquireAsync(id, ["a.cs"], FileLockType.Exclusive, TimeSpan.FromHours(25)), "ttl 1.01:00:00 is out of range"),
            ("lock type", l => l.AcquireAsync(id, ["a.cs"], (FileLockType)7, Ttl), "lockType 7 is not a defined FileLockType. Allowed: Exclusive, Shared"),
            ("empty session", l => l.AcquireAsync(" ", ["a.cs"], FileLockType.Exclusive, Ttl), "sessionId ' ' is empty or white space"),
            ("renew ttl", l => l.RenewAsync(id, TimeSpan.FromDays(2)), "ttl 2.00:00:00 is out of range"),
            ("release escape", l => l.ReleaseAsync(id, ["docs/**", "../docs/**"]), "paths[1]: The lock path '../docs/**' has a '..' segment"),
            ("release root", l => l.ReleaseAsync(id, ["./"]), "names the project root"),
            ("check control", l => l.CheckWriteAsync(id, ["src/a\tb.cs"]), "control character U+0009"),
            ("check none", l => l.CheckWriteAsync(id, []), "0 paths were given"),
        };

        foreach (var (name, call, expected) in cases)
        {
            var exception = Assert.ThrowsAsync(Is.InstanceOf<ArgumentException>(), () => LocksAsync(async l => { await call(l); return 0; }), name)!;
            Assert.That(exception.Message, Does.Contain(expected), name);
        }

        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task One_file_spelled_composed_and_decomposed_is_one_lock_also_for_a_process_in_globalization_invariant_mode()
    {
        var project = await ProjectAsync();
        var first = await SessionAsync(project);
        var second = await SessionAsync(project);
        const string composed = "docs/caf\u00E9.md", decomposed = "docs/cafe\u0301.md";
        await AcquireAsync(first, FileLockType.Exclusive, decomposed);
        Assert.That(() => AcquireAsync(second, FileLockType.Exclusive, composed), Throws.TypeOf<FileLockConflictException>());
        var before = await SnapshotAsync();

        // A process without normalisation data (as in most containers) must neither store the decomposed spelling beside
        // the composed one nor miss the conflict.
        foreach (var (path, outcome) in new[] { (decomposed, nameof(ArgumentException)), (composed, nameof(FileLockConflictException)) })
        {
            var child = await ChildProcess.RunAsync(
                new Dictionary<string, string> { ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1" },
                "acquire-exclusive", Provider == DatabaseProvider.Sqlite ? "sqlite" : "postgresql", Database.ConnectionString,
                Clock.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture), second.SessionId, ChildProcess.ToHex(path));
            Assert.That(child.ExitCode, Is.Zero, child.Error);
            Assert.That(child.Lines, Is.EqualTo(new[] { outcome }), $"{ChildProcess.ToHex(path)} from the invariant-mode process");
        }

        Assert.That(await SnapshotAsync(), Is.EqualTo(before), "the refusals wrote nothing");
        Assert.That((await RowsAsync()).Select(r => (r.FilePath, r.LockedBySession)), Is.EqualTo(new[] { (composed, first.SessionId) }));
    }

    private static string StoredName(SessionStatus status) => status.ToString().ToLowerInvariant();
}
