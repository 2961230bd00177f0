#!/usr/bin/env bash
# Regenerates the turnkey migrations shipped in the Sqlite and PostgreSql packages, one step at a time, so that each
# migration (and its target model) is exactly the model of its step (see MigrationStage and docs/schema.md).
# Only run this before the first release: afterwards, shipped migrations are never regenerated, only added to.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
dotnet restore AgentOrchestration.Data.sln >/dev/null

steps=(Baseline:Baseline AgentProfiles:AgentProfiles WorkItemOrchestrationFields:WorkItemOrchestrationFields
       AssignmentsAndCapabilities:TaskAssignmentsAndCapabilities KeyIndexes:KeyIndexes
       DashboardTables:BacklogSessionsQaResultsAndFileLocks TaskAndStoryColumns:TaskAndStoryColumns Latest:LibraryAdditions)
providers=("${@:-Sqlite PostgreSql}")
staged=$(( ${#steps[@]} * 2 + 1 ))
for provider in ${providers[@]}; do
  count=$(find "src/AgentOrchestration.Data.$provider/Migrations" -name '*.cs' 2>/dev/null | wc -l)
  if (( count > staged )); then
    echo "generate-migrations: src/AgentOrchestration.Data.$provider/Migrations holds migrations added after the staged ones;" >&2
    echo "  regenerating would fold them into LibraryAdditions. Add new migrations with 'dotnet ef migrations add' instead." >&2
    exit 1
  fi
done
for provider in ${providers[@]}; do
  project="src/AgentOrchestration.Data.$provider"
  rm -rf "$project/Migrations"
  # A plain incremental build can keep the deleted snapshot in the assembly; the first step must diff against nothing.
  dotnet build "$project" --no-incremental -v quiet -nologo > /tmp/ao-migrations.log 2>&1 || { cat /tmp/ao-migrations.log; exit 1; }
  for step in "${steps[@]}"; do
    stage=${step%%:*} name=${step#*:}
    echo "== $provider: $name (stage $stage)"
    AGENT_ORCHESTRATION_MIGRATION_STAGE=$stage dotnet ef migrations add "$name" \
      --project "$project" --startup-project "$project" --context AgentOrchestrationDbContext \
      --output-dir Migrations > /tmp/ao-migrations.log 2>&1 \
      || { cat /tmp/ao-migrations.log; exit 1; }
    # Migrations are an implementation detail of the package, not public API.
    sed -i 's/^    public partial class /    internal partial class /' "$project"/Migrations/*.cs
  done
done
rm -f src/*/agent-orchestration-design.db*
