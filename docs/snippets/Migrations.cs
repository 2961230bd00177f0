using AgentOrchestration.Data.Migrations;
using AgentOrchestration.Data.Sprints;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Docs.Snippets;

/// <summary>The snippets of docs/migrations.md and docs/upgrading.md.</summary>
internal static class Migrations
{
    public static async Task InspectAsync(AsyncServiceScope scope)
    {
        #region migrator-inspect
        var migrator = scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>();
        IReadOnlyList<string> shipped = migrator.GetMigrations();                 // every migration of the package, oldest first
        IReadOnlyList<string> applied = await migrator.GetAppliedMigrationsAsync(); // read from __agent_orchestration_migrations
        IReadOnlyList<string> pending = await migrator.GetPendingMigrationsAsync(); // what MigrateAsync would apply
        #endregion
    }

    public static async Task UpgradeAsync(AsyncServiceScope scope)
    {
        #region upgrade-turnkey
        var migrator = scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>();
        foreach (var migration in await migrator.GetPendingMigrationsAsync())
        {
            Console.WriteLine($"applying {migration}");
        }

        await migrator.MigrateAsync();
        #endregion
    }

    public static async Task PlanSprintAsync(AsyncServiceScope scope, Guid projectId)
    {
        #region upgrade-plan-sprint
        // 0.x before: await work.CreateSprintAsync(projectId, "Sprint 12", goal: "Ship claims");
        var sprint = await scope.ServiceProvider.GetRequiredService<ISprintService>()
            .PlanAsync(new SprintPlan(projectId, "Sprint 12") { Goal = "Ship claims" });
        #endregion
    }
}
