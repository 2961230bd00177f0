namespace AgentOrchestration.Data.Storage;

/// <summary>Marks a provider package's assembly with its <see cref="IOrchestrationProvider"/> implementation.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
internal sealed class OrchestrationProviderAttribute(Type providerType) : Attribute
{
    public Type ProviderType { get; } = providerType;
}
