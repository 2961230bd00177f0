namespace AgentOrchestration.Data.Tests.Reliability;

/// <summary>
/// A fresh folder per test for the fixtures that drive SQLite's writer queue through real processes: the database path
/// (whose <c>-writers</c> file the queue uses) and the log the <see cref="WriterQueueChild"/> processes write their turns to.
/// </summary>
public abstract class WriterQueueFiles
{
    private string directory = null!;

    /// <summary>The database file's path; the queue's file is next to it.</summary>
    protected string Database { get; private set; } = null!;

    /// <summary>The shared turns log, empty at the start of each test.</summary>
    protected string Log { get; private set; } = null!;

    /// <summary>Creates the folder and the empty log.</summary>
    [SetUp]
    public void CreateFiles()
    {
        directory = Directory.CreateTempSubdirectory("ao-writer-queue-").FullName;
        Database = Path.Combine(directory, "queue.db");
        Log = Path.Combine(directory, "turns.log");
        File.WriteAllText(Log, string.Empty);
    }

    /// <summary>Deletes the folder.</summary>
    [TearDown]
    public void DeleteFiles() => Directory.Delete(directory, recursive: true);
}
