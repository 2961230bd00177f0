using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentOrchestration.Cli.Hosting;

namespace AgentOrchestration.Cli.Output;

/// <summary>Writes a command's outcome: one human line (or screen), or exactly one JSON document; refusals as one line on stderr, or an error document.</summary>
internal static class Printer
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static void Success<T>(bool json, T view, string human)
    {
        Console.Out.WriteLine(json ? Serialize(view) : human);
        Console.Out.Flush();
    }

    public static int Refused(bool json, Refusal refusal)
    {
        if (json)
        {
            Console.Out.WriteLine(Serialize(new ErrorView(new ErrorDetail(refusal.Kind, refusal.ExitCode, refusal.Message))));
            Console.Out.Flush();
        }
        else
        {
            Console.Error.WriteLine($"agents: {refusal.Kind.Replace('_', ' ')}: {refusal.Message}");
        }

        return refusal.ExitCode;
    }

    public static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) : "never";
}
