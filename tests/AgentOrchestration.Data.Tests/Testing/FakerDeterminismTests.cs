using System.Text.Json;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Testing;

namespace AgentOrchestration.Data.Tests.Testing;

/// <summary>The factories give the same values for the same seed and calls, and unique keys within one instance.</summary>
public sealed class FakerDeterminismTests
{
    private static readonly Guid ProjectId = new("0196f1d2-0000-7000-8000-000000000001");
    private static readonly Guid ItemId = new("0196f1d2-0000-7000-8000-000000000002");

    [Test]
    public void The_same_seed_gives_the_same_values_and_another_seed_other_values()
    {
        var first = Sequence(7);
        var again = Sequence(7);
        Assert.Multiple(() =>
        {
            Assert.That(again, Is.EqualTo(first));
            Assert.That(Sequence(8), Is.Not.EqualTo(first));
        });
    }

    [Test]
    public void Keys_that_must_be_unique_never_repeat_within_one_instance()
    {
        var fake = new OrchestrationFaker(1);
        var keys = Enumerable.Range(0, 300).SelectMany(_ => new[] { fake.Agent().Slug, fake.Project().Key, fake.Session(ProjectId).SessionId! }).ToList();
        var paths = Enumerable.Range(0, 300).SelectMany(_ => fake.Locks("s").Paths).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(keys, Is.Unique);
            Assert.That(paths, Is.Unique);
        });
    }

    [Test]
    public void Dependencies_only_point_to_earlier_items_so_they_never_form_a_cycle()
    {
        var ids = Enumerable.Range(0, 30).Select(_ => Guid.CreateVersion7()).ToList();
        var dependencies = new OrchestrationFaker(5).Dependencies(ids, probability: 0.5);
        Assert.That(dependencies, Is.Not.Empty);
        Assert.That(dependencies, Has.All.Matches<DependencyRequest>(d => ids.IndexOf(d.DependsOnId) < ids.IndexOf(d.WorkItemId)));
    }

    [Test]
    public void A_configure_callback_changes_only_the_fields_it_sets()
    {
        var plain = new OrchestrationFaker(9).Agent();
        var changed = new OrchestrationFaker(9).Agent(a => a.MaxConcurrentTasks = 42);
        Assert.Multiple(() =>
        {
            Assert.That(changed.MaxConcurrentTasks, Is.EqualTo(42));
            Assert.That(changed.Slug, Is.EqualTo(plain.Slug));
            Assert.That(Json(changed.Capabilities), Is.EqualTo(Json(plain.Capabilities)));
        });
    }

    [Test]
    public void An_epic_with_a_parent_is_refused_before_anything_is_generated() =>
        Assert.Throws<ArgumentException>(() => new OrchestrationFaker().WorkItem(ProjectId, WorkItemType.Epic, ItemId));

    private static string Sequence(int seed)
    {
        var fake = new OrchestrationFaker(seed);
        object[] values =
        [
            fake.Project(), fake.Agent(), fake.Epic(ProjectId), fake.Story(ProjectId, ItemId), fake.Task(ProjectId, ItemId), fake.Bug(ProjectId),
            fake.Dependencies([ProjectId, ItemId, ProjectId], 0.5), fake.Sprint(ProjectId), fake.Session(ProjectId), fake.Locks("s"),
            fake.QaResult(ItemId, "s", QaType.MockDetection, QaResultStatus.Fail), fake.BacklogSubmission(ProjectId), fake.BacklogAnalysis("a"),
            fake.BacklogPromotion("a"), fake.AgentUpdate(), fake.Claim("s"), fake.Delegation("s"), fake.Heartbeat("s"),
        ];
        return string.Join('\n', values.Select(Json));
    }

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType());
}
