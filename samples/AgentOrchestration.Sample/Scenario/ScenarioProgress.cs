namespace AgentOrchestration.Sample.Scenario;

/// <summary>How far the scenario is, for the progress bar and for the workers to know when to stop.</summary>
internal sealed class ScenarioProgress
{
    private int total;
    private int done;
    private volatile bool finished;

    public int Total => Volatile.Read(ref total);

    public int Done => Volatile.Read(ref done);

    public bool AllDone => Total > 0 && Done >= Total;

    public bool Finished => finished;

    public void Start(int tasks) => Volatile.Write(ref total, tasks);

    public void Completed() => Interlocked.Increment(ref done);

    public void Finish() => finished = true;
}
