using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.EntityFrameworkCore.Scaffolding.Metadata;
using Microsoft.EntityFrameworkCore.Sqlite.Design.Internal;
using Microsoft.Extensions.DependencyInjection;
using Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal;

namespace AgentOrchestration.Data.Tests.Infrastructure;

/// <summary>Reads a live database's schema through EF Core's own scaffolding readers, the same way on both providers.</summary>
public static class SchemaReader
{
    public static DatabaseModel Read(TestDatabase database)
    {
        var services = new ServiceCollection().AddEntityFrameworkDesignTimeServices();
        if (database.Provider == DatabaseProvider.Sqlite)
        {
            new SqliteDesignTimeServices().ConfigureDesignTimeServices(services);
        }
        else
        {
            new NpgsqlDesignTimeServices().ConfigureDesignTimeServices(services);
        }

        var factory = services.BuildServiceProvider().GetRequiredService<IDatabaseModelFactory>();
        return factory.Create(database.ConnectionString, new DatabaseModelFactoryOptions());
    }
}
