using AgentOrchestration.Data.PostgreSql.EventLog;

namespace AgentOrchestration.Data.Tests.EventLog;

/// <summary>
/// pg_locks shows a running transaction's id in 32 bits; the feed's horizon is 64-bit (<c>xid8</c>). The full id is the
/// one nearest the server's current position, also across an epoch boundary.
/// </summary>
public sealed class TransactionIdWideningTests
{
    private const ulong Epoch = 1UL << 32;

    [TestCase(5u, Epoch + 10, Epoch + 5)]
    [TestCase(15u, Epoch + 10, Epoch + 15)]
    [TestCase(0xFFFF_FFF0u, Epoch + 10, Epoch - 16)]
    [TestCase(20u, Epoch - 5, Epoch + 20)]
    [TestCase(700u, 733UL, 700UL)]
    [TestCase(740u, 733UL, 740UL)]
    public void A_32_bit_id_is_widened_to_the_nearest_full_id(uint transactionId, ulong reference, ulong expected) =>
        Assert.That(PostgreSqlEventReader.Widen(transactionId, reference), Is.EqualTo(expected));
}
