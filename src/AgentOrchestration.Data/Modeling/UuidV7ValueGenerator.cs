using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.ValueGeneration;

namespace AgentOrchestration.Data.Modeling;

/// <summary>Generates time-ordered UUID v7 keys, so new rows append to the end of B-tree indexes on both providers.</summary>
internal sealed class UuidV7ValueGenerator : ValueGenerator<Guid>
{
    public override bool GeneratesTemporaryValues => false;

    public override Guid Next(EntityEntry entry) => UuidV7.NewGuid();
}

/// <summary>
/// UUID v7 (RFC 9562) that is monotonic within the process: <see cref="Guid.CreateVersion7()"/> fills the bits after the
/// millisecond with random data, so two ids of one millisecond can sort backwards. Here the 12 bits after the version
/// are a counter (RFC 9562 §6.2, method 1), so every id sorts after the one before it.
/// </summary>
internal static class UuidV7
{
    private static readonly Lock Gate = new();
    private static long lastMilliseconds;
    private static int counter;

    public static Guid NewGuid()
    {
        long milliseconds;
        int sequence;
        lock (Gate)
        {
            milliseconds = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), lastMilliseconds);
            if (milliseconds == lastMilliseconds)
            {
                if (++counter > 0xFFF)
                {
                    // Counter exhausted within one millisecond: borrow the next one.
                    milliseconds++;
                    counter = 0;
                }
            }
            else
            {
                // Start low in the range, leaving room to count up within the millisecond.
                counter = RandomNumberGenerator.GetInt32(0x400);
            }

            lastMilliseconds = milliseconds;
            sequence = counter;
        }

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[8..]);
        bytes[0] = (byte)(milliseconds >> 40);
        bytes[1] = (byte)(milliseconds >> 32);
        bytes[2] = (byte)(milliseconds >> 24);
        bytes[3] = (byte)(milliseconds >> 16);
        bytes[4] = (byte)(milliseconds >> 8);
        bytes[5] = (byte)milliseconds;
        bytes[6] = (byte)(0x70 | ((sequence >> 8) & 0x0F));
        bytes[7] = (byte)sequence;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
