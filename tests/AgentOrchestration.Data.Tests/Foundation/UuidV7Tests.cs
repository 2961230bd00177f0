using AgentOrchestration.Data.Modeling;

namespace AgentOrchestration.Data.Tests.Foundation;

public sealed class UuidV7Tests
{
    [Test]
    public void Ids_of_one_millisecond_still_sort_in_creation_order()
    {
        var ids = Enumerable.Range(0, 20_000).Select(_ => UuidV7.NewGuid()).ToList();

        Assert.That(ids.Select(i => i.Version), Is.All.EqualTo(7));
        Assert.That(ids.Select(i => i.Variant), Is.All.InRange(8, 11), "RFC 9562 variant bits 10xx");
        Assert.That(ids, Is.Ordered.Using((IComparer<Guid>)Comparer<Guid>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()))));
        Assert.That(ids.Distinct().Count(), Is.EqualTo(ids.Count));
    }
}
