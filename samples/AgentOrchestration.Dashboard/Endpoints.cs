using AgentOrchestration.Dashboard.Snapshot;
using AgentOrchestration.Dashboard.Streaming;
using AgentOrchestration.Data;
using AgentOrchestration.Data.EventLog;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AgentOrchestration.Dashboard;

/// <summary>The JSON API (documented in docs/dashboards.md): every route is a GET; the dashboard never writes.</summary>
internal static class Endpoints
{
    /// <summary>How long a request waits for the hub to finish reading the existing log at start-up.</summary>
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(10);

    public static void Map(WebApplication app)
    {
        var api = app.MapGroup("/api");

        api.MapGet("/status", (EventHub hub) => TypedResults.Ok(new StatusDto(
            hub.Ready.IsCompletedSuccessfully, hub.Problem, hub.Position, hub.Subscribers, hub.Dropped)));

        api.MapGet("/projects", async (DashboardReader reader, CancellationToken cancellationToken) =>
            TypedResults.Ok(await reader.ProjectsAsync(cancellationToken)));

        api.MapGet("/snapshot", async Task<Results<Ok<SnapshotDto>, Ok<EmptySnapshotDto>, NotFound<ProblemDetails>, ProblemHttpResult>> (
            Guid? project, EventHub hub, DashboardReader reader, CancellationToken cancellationToken) =>
        {
            if (await NotReadyAsync(hub, cancellationToken) is { } problem)
            {
                return problem;
            }

            // Taken before the reads: every event up to it is in the snapshot, so the stream resumes after it.
            var cursor = hub.Position;
            var snapshot = await reader.ReadAsync(project, cursor, cancellationToken);
            if (snapshot is not null)
            {
                return TypedResults.Ok(snapshot);
            }

            return project is null
                ? TypedResults.Ok(new EmptySnapshotDto(cursor, null, []))
                : TypedResults.NotFound(new ProblemDetails { Title = "No such project", Detail = $"There is no project {project}.", Status = 404 });
        });

        api.MapGet("/events", async Task<Results<Ok<EventPageDto>, NotFound<ProblemDetails>, BadRequest<ProblemDetails>>> (
            Guid? project, long? after, int? take, IEventLog log, CancellationToken cancellationToken) =>
        {
            try
            {
                var page = await log.ReadAsync(after ?? 0, take ?? 100, project, cancellationToken);
                return TypedResults.Ok(new EventPageDto([.. page.Select(EventDto.From)], page.Count == 0 ? after ?? 0 : page[^1].Sequence));
            }
            catch (EntityNotFoundException e)
            {
                return TypedResults.NotFound(new ProblemDetails { Title = "No such event", Detail = e.Message, Status = 404 });
            }
            catch (ArgumentOutOfRangeException e)
            {
                return TypedResults.BadRequest(new ProblemDetails { Title = "Bad paging", Detail = e.Message, Status = 400 });
            }
        });

        api.MapGet("/stream", async Task<Results<ServerSentEventsResult<string>, NotFound<ProblemDetails>, BadRequest<ProblemDetails>, ProblemHttpResult>> (
            HttpContext http, Guid? project, long? after, EventHub hub, LiveStream stream, IEventLog log, CancellationToken cancellationToken) =>
        {
            if (await NotReadyAsync(hub, cancellationToken) is { } problem)
            {
                return problem;
            }

            if (LiveStream.ResumeAfter(http.Request.Headers["Last-Event-ID"], after, hub.Position) is not { } resume || resume < 0)
            {
                return TypedResults.BadRequest(new ProblemDetails { Title = "Bad position", Detail = "Last-Event-ID and after are event sequences (0 or more).", Status = 400 });
            }

            try
            {
                // Refuse an unknown position before the stream starts, while a status code can still say so.
                await log.ReadAsync(resume, 1, project, cancellationToken);
            }
            catch (EntityNotFoundException e)
            {
                return TypedResults.NotFound(new ProblemDetails { Title = "No such event", Detail = e.Message, Status = 404 });
            }

            // Proxies must not buffer the stream.
            http.Response.Headers["X-Accel-Buffering"] = "no";
            return TypedResults.ServerSentEvents(stream.StreamAsync(project, resume, cancellationToken));
        });
    }

    private static async Task<ProblemHttpResult?> NotReadyAsync(EventHub hub, CancellationToken cancellationToken)
    {
        try
        {
            await hub.Ready.WaitAsync(ReadyWait, cancellationToken);
            return null;
        }
        catch (TimeoutException)
        {
            return TypedResults.Problem(
                title: "Waiting for the database",
                detail: hub.Problem is { } why ? $"The event log cannot be read yet: {why}" : "The event log is still being read.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}

internal sealed record StatusDto(bool Ready, string? Problem, long Position, int Subscribers, int Dropped);

internal sealed record EmptySnapshotDto(long Cursor, ProjectDto? Project, IReadOnlyList<ProjectDto> Projects);

internal sealed record EventPageDto(IReadOnlyList<EventDto> Events, long Next);
