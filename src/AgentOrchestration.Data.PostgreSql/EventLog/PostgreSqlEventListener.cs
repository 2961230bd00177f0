using AgentOrchestration.Data.EventLog;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AgentOrchestration.Data.PostgreSql.EventLog;

/// <summary>
/// Wakes a watch on <c>NOTIFY</c> from the event log's channel, which every event insert sends (see
/// <see cref="EventFeedSchema.TransactionIdDefaultSql"/>) and PostgreSQL delivers at commit. Holds one connection of its
/// own; when it drops, the listener reopens it and wakes the watch, which re-reads from its position.
/// </summary>
internal sealed class PostgreSqlEventListener : IEventWakeup
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(5);

    private readonly NpgsqlConnection template;
    private readonly string listen;
    private NpgsqlConnection? connection;
    private TimeSpan reconnectDelay = TimeSpan.FromMilliseconds(100);

    private PostgreSqlEventListener(NpgsqlConnection template, string channel)
    {
        this.template = template;
        listen = $"LISTEN \"{channel.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
    }

    public static async Task<IEventWakeup> StartAsync(DbContext context, CancellationToken cancellationToken)
    {
        var channel = EventFeedSchema.Channel(context.Model);
        // A clone keeps the context's credentials and data source without borrowing its connection.
        var listener = new PostgreSqlEventListener((NpgsqlConnection)context.Database.GetDbConnection(), channel);
        await listener.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return listener;
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            if (connection is null)
            {
                await Task.Delay(reconnectDelay, cancellationToken).ConfigureAwait(false);
                reconnectDelay = TimeSpan.FromTicks(Math.Min(reconnectDelay.Ticks * 2, MaxReconnectDelay.Ticks));
                await ConnectAsync(cancellationToken).ConfigureAwait(false);
                return;
            }

            await connection.WaitAsync((int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            // Notifications sent while disconnected are lost; the watch's next read catches up from its position.
            await DropAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => DropAsync();

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        // Not from the pool: its LISTEN would outlive it on a pooled connection that is not reset on return.
        var opened = template.CloneWith(new NpgsqlConnectionStringBuilder(template.ConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            await opened.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(listen, opened);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await opened.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        connection = opened;
        reconnectDelay = TimeSpan.FromMilliseconds(100);
    }

    private async ValueTask DropAsync()
    {
        if (connection is { } open)
        {
            connection = null;
            await open.DisposeAsync().ConfigureAwait(false);
        }
    }
}
