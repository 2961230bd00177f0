using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Modeling;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AgentOrchestration.Data.Configurations;

/// <summary>Maps <see cref="FileLock"/> to <c>file_locks</c> with the owning project.</summary>
internal sealed class FileLockConfiguration(SchemaNames names) : IEntityTypeConfiguration<FileLock>
{
    public const string Table = "file_locks";

    public const int PathLength = 1024;

    public void Configure(EntityTypeBuilder<FileLock> builder)
    {
        builder.ToTable(names.Table(Table), names.Schema,
            t => t.HasCheckConstraint(names.Check(Table, "file_path"), "length(\"file_path\") > 0"));
        builder.HasKey(x => x.Id).HasName(names.PrimaryKey(Table));

        builder.Property(x => x.FilePath).HasMaxLength(PathLength).IsRequired();
        builder.Property(x => x.LockedBySession).HasMaxLength(AgentSessionConfiguration.SessionIdLength).IsRequired();
        builder.Property(x => x.LockType).HasDefaultValue(FileLockType.Exclusive);
        builder.Property(x => x.AcquiredAt).HasColumnName("timestamp").HasDefaultValueSql("CURRENT_TIMESTAMP");

        builder.HasOne(x => x.Project).WithMany().HasForeignKey(x => x.ProjectId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "project_id"));
        builder.HasOne(x => x.Session).WithMany(s => s.Locks).HasForeignKey(x => x.LockedBySession).HasPrincipalKey(s => s.SessionId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName(names.ForeignKey(Table, "locked_by_session"));

        // Conflict checks read a project's live locks; release-all reads a session's; cleanup reads by expiry.
        builder.HasIndex(x => new { x.ProjectId, x.FilePath }).HasDatabaseName(names.Index("ix_file_locks_project_path"));
        builder.HasIndex(x => x.LockedBySession).HasDatabaseName(names.Index("ix_file_locks_locked_by_session"));
        builder.HasIndex(x => x.ExpiresAt).HasDatabaseName(names.Index("ix_file_locks_expires_at"));
    }
}
