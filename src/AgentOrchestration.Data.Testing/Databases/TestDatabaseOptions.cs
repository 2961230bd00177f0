namespace AgentOrchestration.Data.Testing;

/// <summary>How <see cref="OrchestrationTestDatabase.CreateAsync"/> finds the server, prepares the database and builds its services.</summary>
public sealed class TestDatabaseOptions
{
    /// <summary>The environment variable read by default for the PostgreSQL server: <c>AO_TEST_POSTGRES</c>.</summary>
    public const string DefaultPostgresVariable = "AO_TEST_POSTGRES";

    /// <summary>
    /// Gets or sets the environment variable holding an Npgsql connection string to a PostgreSQL server (13 or later) on
    /// which the tests may create and drop databases, such as
    /// <c>Host=127.0.0.1;Port=5432;Username=postgres;Password=...;Database=postgres</c>; <see cref="DefaultPostgresVariable"/> by default.
    /// The database it names is only used to create and drop the test databases.
    /// </summary>
    public string PostgresVariable { get; set; } = DefaultPostgresVariable;

    /// <summary>
    /// Gets or sets whether a missing server fails rather than skips: <see langword="null"/> (the default) means when the
    /// environment variable <c>CI</c> is <c>true</c>, as CI systems such as GitHub Actions and GitLab set it.
    /// </summary>
    public bool? RequireServer { get; set; }

    /// <summary>Gets or sets how the schema is prepared; <see cref="TestDatabaseMigration.Turnkey"/> by default.</summary>
    public TestDatabaseMigration Migration { get; set; } = TestDatabaseMigration.Turnkey;

    /// <summary>
    /// Gets or sets a migration of the host's own, run after <see cref="Migration"/> (set that to
    /// <see cref="TestDatabaseMigration.None"/> for an embedded host): for example
    /// <c>(db, ct) =&gt; new AppDbContext(db.ConnectionString).Database.MigrateAsync(ct)</c>.
    /// </summary>
    public Func<OrchestrationTestDatabase, CancellationToken, Task>? Migrate { get; set; }

    /// <summary>
    /// Gets or sets further library configuration for <see cref="OrchestrationTestDatabase.Services"/>, such as a QA policy
    /// or a fake clock: <c>o =&gt; o.UseClock(fakeTimeProvider)</c> (a <see cref="TimeProvider"/> merely registered in the
    /// container does not decide expiries on PostgreSQL, where the server's clock does).
    /// </summary>
    public Action<AgentOrchestrationBuilder>? ConfigureOrchestration { get; set; }

    /// <summary>Gets or sets further registrations for <see cref="OrchestrationTestDatabase.Services"/>, made before the library's, such as a host's own services.</summary>
    public Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? ConfigureServices { get; set; }
}
