using AgentOrchestration.Dashboard;

namespace AgentOrchestration.Data.Tests.WebDashboard;

/// <summary>The web dashboard's command line: the console sample's database options plus <c>--urls</c>, loopback by default.</summary>
public sealed class DashboardOptionsTests
{
    [Test]
    public void Without_options_it_opens_the_console_samples_default_file_on_loopback()
    {
        var options = DashboardOptions.Parse([]);
        Assert.Multiple(() =>
        {
            Assert.That(options.PostgreSql, Is.False);
            Assert.That(options.SqlitePath, Is.EqualTo(Path.Combine(Environment.CurrentDirectory, "agent-orchestration-sample.db")));
            Assert.That(options.Urls, Is.EqualTo("http://127.0.0.1:5080"));
            Assert.That(Hosts.AllLoopback(options.Urls), Is.True);
        });
    }

    [Test]
    public void It_takes_the_samples_database_options_and_urls()
    {
        var sqlite = DashboardOptions.Parse(["--db", "runs/a.db", "--urls", "http://127.0.0.1:0"]);
        var postgres = DashboardOptions.Parse(["--provider", "postgres", "--connection", "Host=db;Database=agents", "--urls", "http://0.0.0.0:8080"]);
        Assert.Multiple(() =>
        {
            Assert.That(sqlite.SqlitePath, Is.EqualTo(Path.GetFullPath("runs/a.db")));
            Assert.That(sqlite.Urls, Is.EqualTo("http://127.0.0.1:0"));
            Assert.That(postgres.PostgreSql, Is.True);
            Assert.That(postgres.Connection, Is.EqualTo("Host=db;Database=agents"));
            Assert.That(Hosts.AllLoopback(postgres.Urls), Is.False, "an address other than loopback opens the host filter");
            Assert.That(Hosts.AllLoopback("http://localhost:5000;http://[::1]:5001"), Is.True);
        });
    }

    [TestCase(new[] { "--provider", "mysql" }, "provider 'mysql' is not known")]
    [TestCase(new[] { "--provider", "postgres" }, "--provider postgres needs --connection")]
    [TestCase(new[] { "--provider", "postgres", "--connection", "Host=x", "--db", "a.db" }, "--db picks the SQLite file")]
    [TestCase(new[] { "--connection", "Host=x" }, "--connection is for PostgreSQL")]
    [TestCase(new[] { "--urls" }, "'--urls' needs a value")]
    [TestCase(new[] { "--agents", "3" }, "'--agents' is not known")]
    public void A_bad_option_is_refused_with_a_message(string[] args, string message) =>
        Assert.That(() => DashboardOptions.Parse(args), Throws.TypeOf<FormatException>().With.Message.Contains(message));

    [Test]
    public void Help_names_every_option_and_endpoint()
    {
        Assert.That(DashboardOptions.Parse(["--help"]).Help, Is.True);
        foreach (var text in new[] { "--provider", "--db", "--connection", "--urls", "/api/snapshot", "/api/events", "/api/stream" })
        {
            Assert.That(DashboardOptions.Usage, Does.Contain(text));
        }
    }
}
