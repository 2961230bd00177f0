using System.Data.Common;
using AgentOrchestration.Data.Migrations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOrchestration.Data.Testing;

/// <summary>
/// A fresh, real, throw-away database for one test (or one fixture): a temporary SQLite file, or a new database on the
/// PostgreSQL server named by an environment variable (<c>AO_TEST_POSTGRES</c> by default). It is migrated when created
/// and deleted (the file) or dropped (the database) when disposed. It depends on no test framework: NUnit, xUnit and
/// MSTest use it alike.
/// </summary>
/// <remarks>
/// <para>
/// <b>Fail rather than skip under CI.</b> When the PostgreSQL variable is not set, <see cref="CreateAsync"/> throws
/// <see cref="TestDatabaseUnavailableException"/>, which a test maps to its framework's skip; but when the environment
/// variable <c>CI</c> is <c>true</c> (or <see cref="TestDatabaseOptions.RequireServer"/> is set) it throws an
/// <see cref="InvalidOperationException"/>, so a CI run without its database fails instead of passing green with
/// nothing tested. A server that is configured but cannot be reached always fails.
/// </para>
/// <para>
/// The provider package must be referenced by the test project (<c>AgentOrchestration.Data.Sqlite</c> or
/// <c>AgentOrchestration.Data.PostgreSql</c>); this package finds it at run time, so it pulls in neither.
/// </para>
/// <para>
/// <b>Migrated once per process.</b> A <see cref="TestDatabaseMigration.Turnkey"/> database is a copy of a template the
/// process migrated with the shipped migrations on first use (a file copy on SQLite, <c>CREATE DATABASE ... TEMPLATE</c>
/// on PostgreSQL), which costs a test a fraction of a migration. The templates (<c>ao-template-*.db</c> in the temporary
/// folder, <c>ao_template_*</c> databases) are removed when the process exits; one that is killed leaves them behind,
/// as it leaves its test databases.
/// </para>
/// </remarks>
public sealed class OrchestrationTestDatabase : IAsyncDisposable
{
    private readonly TestDatabaseOptions options;
    private readonly string? adminConnectionString;
    private readonly Lock gate = new();
    private ServiceProvider? services;
    private bool disposed;

    private OrchestrationTestDatabase(TestDatabaseProvider provider, string connectionString, string name, string? adminConnectionString, TestDatabaseOptions options)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Name = name;
        this.adminConnectionString = adminConnectionString;
        this.options = options;
    }

    /// <summary>Gets the database engine.</summary>
    public TestDatabaseProvider Provider { get; }

    /// <summary>Gets the connection string of the test database, for the host's own registrations or contexts.</summary>
    public string ConnectionString { get; }

    /// <summary>Gets the SQLite file's path, or the PostgreSQL database's name.</summary>
    public string Name { get; }

    /// <summary>
    /// Gets the library registered the turnkey way on this database, with <see cref="TestDatabaseOptions.ConfigureServices"/>
    /// and <see cref="TestDatabaseOptions.ConfigureOrchestration"/> applied; built on first use and disposed with the
    /// database. Resolve services in a scope of their own (<c>CreateAsyncScope()</c>), as a host does per request.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The database was disposed.</exception>
    public IServiceProvider Services
    {
        get
        {
            lock (gate)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                return services ??= CreateServices();
            }
        }
    }

    /// <summary>
    /// Creates a fresh database and prepares its schema as <paramref name="options"/> say (by default: the library's
    /// shipped migrations, turnkey).
    /// </summary>
    /// <param name="provider">SQLite (a temporary file) or PostgreSQL (a new database on the configured server).</param>
    /// <param name="options">Where the server is, how to migrate, and extra registrations; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The migrated database; dispose it to delete or drop it.</returns>
    /// <exception cref="TestDatabaseUnavailableException">PostgreSQL was asked for, its variable is not set, and a server is not required (not under CI).</exception>
    /// <exception cref="InvalidOperationException">PostgreSQL was asked for, its variable is not set, and a server is required (under CI); or the provider package is not referenced.</exception>
    public static async Task<OrchestrationTestDatabase> CreateAsync(TestDatabaseProvider provider, TestDatabaseOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TestDatabaseOptions();
        var turnkey = options.Migration == TestDatabaseMigration.Turnkey;
        OrchestrationTestDatabase database;
        if (provider == TestDatabaseProvider.Sqlite)
        {
            var path = Path.Combine(Path.GetTempPath(), $"ao-test-{Guid.NewGuid():N}.db");
            if (turnkey)
            {
                await MigratedTemplates.CopySqliteAsync(path, cancellationToken).ConfigureAwait(false);
            }

            database = new OrchestrationTestDatabase(provider, $"Data Source={path}", path, null, options);
        }
        else if (provider == TestDatabaseProvider.PostgreSql)
        {
            var admin = ServerConnectionString(options);
            var name = $"ao_test_{Guid.NewGuid():N}";
            if (turnkey)
            {
                await MigratedTemplates.CreatePostgresAsync(admin, name, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await AdminCommandAsync(admin, $"CREATE DATABASE \"{name}\"", cancellationToken).ConfigureAwait(false);
            }

            database = new OrchestrationTestDatabase(provider, OnDatabase(admin, name), name, admin, options);
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(provider), provider, "A test database is Sqlite or PostgreSql.");
        }

        try
        {
            if (options.Migrate is { } migrate)
            {
                await migrate(database, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await database.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return database;
    }

    /// <summary>
    /// Reads the PostgreSQL server's connection string from <see cref="TestDatabaseOptions.PostgresVariable"/>, applying the
    /// fail-or-skip rule (see the remarks of <see cref="OrchestrationTestDatabase"/>).
    /// </summary>
    /// <param name="options">Where the server is; <see langword="null"/> for the defaults.</param>
    /// <returns>The server's connection string.</returns>
    /// <exception cref="TestDatabaseUnavailableException">The variable is not set and a server is not required.</exception>
    /// <exception cref="InvalidOperationException">The variable is not set and a server is required.</exception>
    public static string ServerConnectionString(TestDatabaseOptions? options = null)
    {
        options ??= new TestDatabaseOptions();
        var value = Environment.GetEnvironmentVariable(options.PostgresVariable);
        if (!string.IsNullOrWhiteSpace(value))
        {
            return value;
        }

        var ci = Environment.GetEnvironmentVariable("CI");
        var required = options.RequireServer ?? (string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase) || ci == "1");
        var message = $"{options.PostgresVariable} is not set: point it at a PostgreSQL server the tests may create databases on, such as 'Host=127.0.0.1;Username=postgres;Password=...;Database=postgres'.";
        throw required
            ? new InvalidOperationException(message + " A server is required here (CI=true), so the test fails rather than skips.")
            : new TestDatabaseUnavailableException(message);
    }

    /// <summary>
    /// Builds a new service provider with the library registered the turnkey way on this database, for a test that needs
    /// its own clock or configuration; the caller disposes it (before the database).
    /// </summary>
    /// <param name="configureServices">Registrations made before the library's, after <see cref="TestDatabaseOptions.ConfigureServices"/>.</param>
    /// <param name="configureOrchestration">Library configuration, after <see cref="TestDatabaseOptions.ConfigureOrchestration"/>.</param>
    /// <returns>The provider, validating scopes as a host in development does.</returns>
    public ServiceProvider CreateServices(Action<IServiceCollection>? configureServices = null, Action<AgentOrchestrationBuilder>? configureOrchestration = null)
    {
        var collection = new ServiceCollection();
        options.ConfigureServices?.Invoke(collection);
        configureServices?.Invoke(collection);
        collection.AddAgentOrchestration(o =>
        {
            UseTurnkey(o);
            options.ConfigureOrchestration?.Invoke(o);
            configureOrchestration?.Invoke(o);
        });
        return collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    /// <summary>Registers the library's own context on this database inside <c>AddAgentOrchestration</c>, as <c>o.UseSqlite(...)</c> or <c>o.UsePostgreSql(...)</c> would.</summary>
    /// <param name="builder">The builder of <c>AddAgentOrchestration</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public AgentOrchestrationBuilder UseTurnkey(AgentOrchestrationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ProviderPackages.UseTurnkey(Provider, builder, ConnectionString);
        return builder;
    }

    /// <summary>Configures context options for this database with the library's shipped migrations (<c>UseAgentOrchestrationSqlite</c> or <c>UseAgentOrchestrationPostgreSql</c>).</summary>
    /// <param name="options">The options builder.</param>
    /// <returns>The same options builder, for chaining.</returns>
    public DbContextOptionsBuilder ConfigureContext(DbContextOptionsBuilder options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ProviderPackages.UseContext(Provider, options, ConnectionString);
        return options;
    }

    /// <summary>Creates a library context on this database, to read what a test's code wrote; the caller disposes it.</summary>
    /// <returns>A new context.</returns>
    public AgentOrchestrationDbContext CreateContext()
    {
        var builder = new DbContextOptionsBuilder<AgentOrchestrationDbContext>();
        ConfigureContext(builder);
        return new AgentOrchestrationDbContext(builder.Options);
    }

    /// <summary>Disposes <see cref="Services"/>, then deletes the SQLite file or drops the PostgreSQL database (closing connections still open to it).</summary>
    /// <returns>A task that completes when the database is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        ServiceProvider? built;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            built = services;
        }

        if (built is not null)
        {
            await built.DisposeAsync().ConfigureAwait(false);
        }

        if (Provider == TestDatabaseProvider.Sqlite)
        {
            await using (var context = CreateContext())
            {
                ProviderPackages.ClearAllPools(context.Database.GetDbConnection());
            }

            DeleteSqliteFiles(Name);
            return;
        }

        await AdminCommandAsync(adminConnectionString!, $"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", CancellationToken.None, clearPools: true).ConfigureAwait(false);
    }

    /// <summary>The server's connection string pointed at the database <paramref name="name"/>.</summary>
    internal static string OnDatabase(string adminConnectionString, string name)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = adminConnectionString };
        builder.Remove("DB");
        builder["Database"] = name;
        return builder.ConnectionString;
    }

    /// <summary>Deletes a SQLite database file and every file SQLite and the library keep beside it.</summary>
    internal static void DeleteSqliteFiles(string path)
    {
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm", "-journal", "-writers", "-migrations" })
        {
            File.Delete(path + suffix);
        }
    }

    /// <summary>Runs one statement on the server's own database, through the PostgreSQL package's driver.</summary>
    internal static async Task AdminCommandAsync(string adminConnectionString, string sql, CancellationToken cancellationToken, bool clearPools = false)
    {
        var builder = new DbContextOptionsBuilder<AgentOrchestrationDbContext>();
        ProviderPackages.UseContext(TestDatabaseProvider.PostgreSql, builder, adminConnectionString);
        await using var context = new AgentOrchestrationDbContext(builder.Options);
        var connection = context.Database.GetDbConnection();
        if (clearPools)
        {
            ProviderPackages.ClearAllPools(connection);
        }

        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await connection.CloseAsync().ConfigureAwait(false);
        }
    }
}
