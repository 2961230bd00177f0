using AgentOrchestration.Dashboard;
using AgentOrchestration.Dashboard.Snapshot;
using AgentOrchestration.Dashboard.Streaming;
using AgentOrchestration.Data;
using AgentOrchestration.Data.EventLog;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

DashboardOptions options;
try
{
    options = DashboardOptions.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine("Run with --help to see every option.");
    return 2;
}

if (options.Help)
{
    Console.WriteLine(DashboardOptions.Usage);
    return 0;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    // The page ships beside the binary (web/), wherever it is started from.
    ContentRootPath = AppContext.BaseDirectory,
    WebRootPath = "web",
});
builder.WebHost.UseUrls(options.Urls);
// Only loopback names may reach a loopback-bound dashboard (a DNS-rebinding page gets 400), unless --urls opens it up.
builder.Configuration["AllowedHosts"] = Hosts.AllLoopback(options.Urls) ? "localhost;127.0.0.1;[::1]" : "*";
builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
// A failing read is reported once by the dashboard itself (e.g. "no such table" until the sample has migrated).
builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Query", LogLevel.None);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

// The library, turnkey, on the console sample's database; the dashboard only reads (it never migrates: the sample does).
builder.Services.AddAgentOrchestration(o =>
{
    if (options.PostgreSql)
    {
        o.UsePostgreSql(options.Connection!);
    }
    else
    {
        o.UseSqlite($"Data Source={options.SqlitePath}");
    }
});
// What an operator sees: the library's health checks at /api/health, and its telemetry exported with --telemetry.
builder.Services.AddHealthChecks().AddAgentOrchestration();
Telemetry.Add(builder.Services, options.Telemetry);
builder.Services.AddScoped<DashboardReader>();
builder.Services.AddSingleton<EventHub>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<EventHub>());
builder.Services.AddSingleton<SnapshotPublisher>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<SnapshotPublisher>());
builder.Services.AddSingleton<LiveStream>();
builder.Services.ConfigureHttpJsonOptions(o => DashboardJson.Configure(o.SerializerOptions));

var app = builder.Build();
app.Use(SecurityHeaders.ApplyAsync);
app.UseDefaultFiles();
app.UseStaticFiles();
Endpoints.Map(app);
app.MapHealthChecks("/api/health");

await app.StartAsync();
var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
Console.WriteLine($"AgentOrchestration dashboard on {(options.PostgreSql ? "PostgreSQL" : options.SqlitePath)} (read-only)");
foreach (var address in addresses)
{
    Console.WriteLine($"Dashboard: {address}/");
}

Console.WriteLine("Ctrl+C stops.");
await app.WaitForShutdownAsync();
return 0;
