using System.Text.RegularExpressions;
using AgentOrchestration.Data.EventLog;

namespace AgentOrchestration.Data.Tests.EventLog;

/// <summary>The catalogue of event types and the guide that documents it list the same types.</summary>
public sealed partial class EventTypeCatalogueTests
{
    [Test]
    public void The_catalogue_lists_each_type_once_as_entity_dot_verb()
    {
        Assert.That(OrchestrationEventTypes.All, Is.Unique);
        Assert.That(OrchestrationEventTypes.All, Has.Count.GreaterThan(40));
        Assert.That(OrchestrationEventTypes.All, Has.All.Matches(TypePattern()));
    }

    [Test]
    public void Docs_events_md_documents_exactly_the_catalogued_types()
    {
        var guide = File.ReadAllText(Path.Combine(FindRoot(), "docs", "events.md"));
        var section = guide[guide.IndexOf("## Event types", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        var documented = TableRow().Matches(section).Select(m => (Type: m.Groups[1].Value, Constant: m.Groups[2].Value)).ToList();

        var catalogued = typeof(OrchestrationEventTypes).GetFields()
            .Where(f => f.IsLiteral)
            .Select(f => (Type: (string)f.GetRawConstantValue()!, Constant: f.Name))
            .ToList();
        Assert.That(documented, Is.EqualTo(catalogued), "docs/events.md, section 'Event types': one row per constant, in the catalogue's order");
    }

    [GeneratedRegex(@"^[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z]+)*$")]
    private static partial Regex TypePattern();

    [GeneratedRegex(@"^\| `([^`]+)` \| `([^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AgentOrchestration.Data.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AgentOrchestration.Data.sln above {AppContext.BaseDirectory}.");
    }
}
