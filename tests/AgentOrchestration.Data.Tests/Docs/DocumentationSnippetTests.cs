using System.Text.RegularExpressions;

namespace AgentOrchestration.Data.Tests.Docs;

/// <summary>
/// Every C# block in the README, the guides and the package readmes is a copy of a <c>#region</c> of the compiled
/// snippets project (docs/snippets), so no snippet a user copies can drift from the API.
/// </summary>
public sealed partial class DocumentationSnippetTests
{
    private static readonly string Root = FindRoot();

    public static IEnumerable<TestCaseData> Blocks()
    {
        var documents = new[] { "README.md" }
            .Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Root, f)))
            .Concat(Directory.GetFiles(Path.Combine(Root, "src"), "PACKAGE.md", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Root, f)));
        foreach (var document in documents.Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(Path.Combine(Root, document));
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Trim() != "```csharp")
                {
                    continue;
                }

                var start = i + 1;
                var end = Array.FindIndex(lines, start, l => l.Trim() == "```");
                yield return new TestCaseData(document, start + 1, Normalize(lines[start..end])).SetArgDisplayNames($"{document}:{start + 1}");
                i = end;
            }
        }
    }

    [Test]
    public void The_documents_have_csharp_snippets() => Assert.That(Blocks().Count(), Is.GreaterThan(10));

    [TestCaseSource(nameof(Blocks))]
    public void Each_snippet_is_a_region_of_the_compiled_snippets_project(string document, int line, string code)
    {
        var regions = Regions();
        Assert.That(regions.Values, Has.Some.EqualTo(code),
            $"The C# block at {document}:{line} is not a #region of docs/snippets: write it there (where it compiles) and copy it into the document.");
    }

    private static Dictionary<string, string> Regions()
    {
        var regions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "docs", "snippets"), "*.cs", SearchOption.AllDirectories))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (RegionStart().Match(lines[i]) is { Success: true } match)
                {
                    var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "#endregion");
                    regions[$"{Path.GetFileName(file)}#{match.Groups[1].Value}"] = Normalize(lines[(i + 1)..end]);
                    i = end;
                }
            }
        }

        return regions;
    }

    /// <summary>The block's lines without trailing spaces, blank edges or their common indentation.</summary>
    private static string Normalize(string[] lines)
    {
        var trimmed = lines.Select(l => l.TrimEnd()).SkipWhile(l => l.Length == 0).Reverse().SkipWhile(l => l.Length == 0).Reverse().ToList();
        var indent = trimmed.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', trimmed.Select(l => l.Length == 0 ? l : l[indent..]));
    }

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

    [GeneratedRegex(@"^\s*#region\s+(\S+)\s*$")]
    private static partial Regex RegionStart();
}
