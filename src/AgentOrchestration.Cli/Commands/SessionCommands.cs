using System.CommandLine;
using System.Diagnostics;
using AgentOrchestration.Cli.Hosting;
using AgentOrchestration.Cli.Output;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Sessions;

namespace AgentOrchestration.Cli.Commands;

/// <summary><c>session</c>, <c>lock</c> and <c>qa</c>.</summary>
internal static class SessionCommands
{
    public static Command Session()
    {
        var agent = new Option<string?>("--agent") { Description = "The agent running the session, slug or id (default: AGENTS_AGENT)" };
        var key = new Option<string?>("--session-id") { Description = "The session key (default: generated)" };
        var type = new Option<string>("--type") { Description = "prime, architecture, implementation, testing, security, integration or qa", DefaultValueFactory = _ => "implementation" };
        var oversight = new Option<string>("--oversight") { Description = "standard, enhanced, strict or direct: the QA this session's work needs", DefaultValueFactory = _ => "standard" };
        var action = new Option<string?>("--action") { Description = "What the agent starts by doing" };
        var start = new Command("start", "Start a session; prints its key (export it as AGENTS_SESSION)") { agent, key, type, oversight, action };
        Cli.Action(start, async (parse, o, ct) =>
        {
            var profile = await o.AgentAsync(parse.GetValue(agent), ct);
            var project = await o.ProjectAsync(ct);
            var request = new SessionStart(project.Id, Names.Parse<SessionAgentType>(parse.GetValue(type)!, "type"))
            {
                SessionId = parse.GetValue(key),
                AgentId = profile.Id,
                OversightLevel = Names.Parse<OversightLevel>(parse.GetValue(oversight)!, "oversight"),
                CurrentAction = parse.GetValue(action),
            };
            var session = SessionView.Of(await o.WithAsync<ISessionService, AgentSession>(s => s.StartAsync(request, ct)));
            return (session, $"started session {session.SessionId} for agent '{profile.Slug}' ({session.AgentType}, oversight {session.OversightLevel})");
        });

        var session = SessionOption();
        var heartbeatAction = new Option<string?>("--action") { Description = "What the agent is doing now" };
        var lease = new Option<string?>("--lease") { Description = "Renew the session's leases to at least now plus this, such as 30m (default 5m)" };
        var heartbeat = new Command("heartbeat", "Say the session is alive; renews the leases of the work it owns") { session, heartbeatAction, lease };
        Cli.Action(heartbeat, async (parse, o, ct) =>
        {
            var view = await Operations.HeartbeatAsync(o, parse.GetValue(session), parse.GetValue(heartbeatAction), Cli.Duration(parse, lease), ct);
            return (view, $"session {view.SessionId} alive at {Printer.Time(view.LastHeartbeatAt)}");
        });

        var endSession = SessionOption();
        var outcome = new Option<string>("--outcome") { Description = "completed, failed or halted (failed and halted return the session's work to the queue)", DefaultValueFactory = _ => "completed" };
        var reason = new Option<string?>("--reason") { Description = "Why" };
        var end = new Command("end", "End a session; releases its file locks") { endSession, outcome, reason };
        Cli.Action(end, async (parse, o, ct) =>
        {
            var keyValue = o.Session(parse.GetValue(endSession));
            var status = Names.Parse<SessionStatus>(parse.GetValue(outcome)!, "outcome");
            var view = SessionView.Of(await o.WithAsync<ISessionService, AgentSession>(s => s.EndAsync(keyValue, status, parse.GetValue(reason), ct)));
            return (view, $"session {view.SessionId} {view.Status}");
        });

        return new Command("session", "Agent sessions: start, heartbeat, end") { start, heartbeat, end };
    }

    public static Command Lock()
    {
        var session = SessionOption();
        var paths = new Argument<string[]>("paths") { Description = "Files or globs relative to the repository root (src/app.cs, docs/**)", Arity = ArgumentArity.OneOrMore };
        var shared = new Option<bool>("--shared") { Description = "Shared instead of exclusive (others may share; none may hold it exclusively)" };
        var ttl = new Option<string>("--ttl") { Description = "Time to live, such as 30m (at most the library's limit)", DefaultValueFactory = _ => "30m" };
        var acquire = new Command("acquire", "Lock paths for the session, all or none") { session, paths, shared, ttl };
        Cli.Action(acquire, async (parse, o, ct) =>
        {
            var view = await Operations.AcquireAsync(o, parse.GetValue(session), parse.GetValue(paths)!, parse.GetValue(shared), Names.Duration(parse.GetValue(ttl)!, "--ttl"), ct);
            return (view, $"locked {string.Join(", ", view.Locks.Select(l => $"{l.Path} ({l.LockType})"))} for session {view.SessionId} until {Printer.Time(view.Locks.Min(l => l.ExpiresAt))}");
        });

        var renewSession = SessionOption();
        var renewTtl = new Option<string>("--ttl") { Description = "New time to live, such as 30m", DefaultValueFactory = _ => "30m" };
        var renew = new Command("renew", "Extend every live lock of the session") { renewSession, renewTtl };
        Cli.Action(renew, async (parse, o, ct) =>
        {
            var view = await Operations.RenewLocksAsync(o, parse.GetValue(renewSession), Names.Duration(parse.GetValue(renewTtl)!, "--ttl"), ct);
            return (view, $"renewed {view.Locks.Count} locks of session {view.SessionId}");
        });

        var releaseSession = SessionOption();
        var releasePaths = new Argument<string[]>("paths") { Description = "The paths as acquired; none with --all", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Release every lock of the session" };
        var release = new Command("release", "Release the session's locks on paths (exact match), or all of them") { releaseSession, releasePaths, all };
        Cli.Action(release, async (parse, o, ct) =>
        {
            var given = parse.GetValue(releasePaths) ?? [];
            if (given.Length == 0 != parse.GetValue(all))
            {
                throw new InputException(given.Length == 0 ? "no paths given; name the paths to release, or pass --all" : "--all releases every lock; pass paths or --all, not both");
            }

            var view = await Operations.ReleaseLocksAsync(o, parse.GetValue(releaseSession), given, ct);
            return (view, view.Locks.Count == 0 ? $"session {view.SessionId} held none of those locks" : $"released {string.Join(", ", view.Locks.Select(l => l.Path))}");
        });

        var checkSession = SessionOption("The session about to write (default: AGENTS_SESSION; without one, every live lock is in the way)");
        var checkPaths = new Argument<string[]>("paths") { Description = "Paths to check", Arity = ArgumentArity.ZeroOrMore };
        var staged = new Option<bool>("--staged") { Description = "Check the paths staged in git (git diff --cached): the pre-commit hook" };
        var check = new Command("check", "May these paths be written? Exits 4 naming the holder when another session's lock is in the way") { checkSession, checkPaths, staged };
        Cli.Action(check, async (parse, o, ct) =>
        {
            var given = (parse.GetValue(checkPaths) ?? []).ToList();
            if (parse.GetValue(staged))
            {
                given.AddRange(await StagedAsync(o.Settings.Root, ct));
            }

            var view = await Operations.CheckAsync(o, parse.GetValue(checkSession), given, ct);
            if (!view.Writable && !parse.GetValue(Cli.Json))
            {
                var blocking = view.Paths.SelectMany(p => p.Blocking).ToList();
                throw new RefusedException(ExitCodes.Conflict, "conflict",
                    $"{blocking.Count} locked path(s) may not be written: {string.Join("; ", blocking.Take(5).Select(b => b.Reason))}{(blocking.Count > 5 ? $"; and {blocking.Count - 5} more" : string.Empty)}");
            }

            return (view, view.Paths.Count == 0 ? "nothing to check" : $"writable: {view.Paths.Count} path(s)");
        }, exitCode: view => view.Writable ? ExitCodes.Ok : ExitCodes.Conflict);

        return new Command("lock", "File locks: acquire, renew, release, check (the pre-commit hook)") { acquire, renew, release, check };
    }

    public static Command Qa()
    {
        var id = new Argument<string>("work-item") { Description = "The task or bug reviewed" };
        var session = SessionOption("The reviewing session, not the implementing one (default: AGENTS_SESSION)");
        var type = new Option<string>("--type") { Description = "code_review, functional_test, mock_detection or success_criteria", Required = true };
        var status = new Option<string>("--status") { Description = "pass, fail or warning", Required = true };
        var remediation = new Option<string?>("--remediation") { Description = "What must be fixed (required when it fails)" };
        var finding = new Option<string[]>("--finding") { Description = "A finding; repeat for more" };
        var record = new Command("record", "Record a QA result; a failure sends the work back with the remediation") { id, session, type, status, remediation, finding };
        Cli.Action(record, async (parse, o, ct) =>
        {
            var view = await Operations.RecordQaAsync(o, parse.GetValue(id)!, parse.GetValue(session), parse.GetValue(type)!, parse.GetValue(status)!, parse.GetValue(remediation), parse.GetValue(finding) ?? [], ct);
            return (view, $"recorded {view.QaType} {view.Status} for {view.TaskId} by session {view.SessionId}");
        });
        return new Command("qa", "QA results") { record };
    }

    private static Option<string?> SessionOption(string? description = null) =>
        new("--session", "-s") { Description = description ?? "The session key (default: AGENTS_SESSION)" };

    /// <summary>The staged paths (added, copied, modified, renamed, deleted), relative to the repository root.</summary>
    private static async Task<IReadOnlyList<string>> StagedAsync(string root, CancellationToken ct)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-c", "core.quotepath=off", "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMRD" })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InputException("could not start git to list the staged paths");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InputException("--staged needs git on PATH");
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var error = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                throw new InputException($"git could not list the staged paths: {(await error).Trim()}");
            }

            return (await output).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
    }
}
