namespace AgentOrchestration.Data.Tests.Sample;

/// <summary>The sample's command line: help, and a clear message with exit code 2 for every bad option.</summary>
public sealed class SampleOptionsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Test]
    public async Task Help_explains_every_option()
    {
        var result = await SampleProcess.RunAsync(Timeout, "--help");
        Assert.That(result.ExitCode, Is.Zero);
        foreach (var option in new[] { "dashboard", "--provider", "--db", "--connection", "--agents", "--tasks", "--plain", "--help" })
        {
            Assert.That(result.Output, Does.Contain(option));
        }
    }

    [TestCase(new[] { "--agents", "0" }, "--agents' takes a whole number from 1 to 32, not '0'")]
    [TestCase(new[] { "--tasks", "many" }, "--tasks' takes a whole number from 2 to 500, not 'many'")]
    [TestCase(new[] { "--provider", "mysql" }, "provider 'mysql' is not known")]
    [TestCase(new[] { "--provider", "postgres" }, "--provider postgres needs --connection")]
    [TestCase(new[] { "--connection", "Host=x" }, "--connection is for PostgreSQL")]
    [TestCase(new[] { "--db" }, "'--db' needs a value")]
    [TestCase(new[] { "--frobnicate" }, "'--frobnicate' is not known")]
    public async Task A_bad_option_exits_with_2_and_says_what_is_wrong(string[] args, string message)
    {
        var result = await SampleProcess.RunAsync(Timeout, args);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2));
            Assert.That(result.Error, Does.Contain(message));
            Assert.That(result.Output, Is.Empty, "nothing ran");
        });
    }
}
