#!/usr/bin/env bash
# Proves the published packages work on their own: a throw-away console app takes them from the local feed
# (build/feed, written by build/publish.sh) by package reference only, migrates a SQLite database and round-trips a row,
# then runs a tiny host test with the Testing package: a throw-away database, a world and a factory; then the agents
# tool is installed from the feed as a local tool and drives a repository: init, work add, claim, complete.
# Version: --version X, else AO_VERSION, else the version build/pack.sh last packed (artifacts/packages).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "consumer-check: ERROR: the .NET SDK ('dotnet') is not on PATH; install .NET SDK 10" >&2; exit 1; }

feed=$(pwd)/build/feed
version=${AO_VERSION:-}
while (( $# )); do
  case $1 in
    --version) version=${2:?"consumer-check: --version needs a value"}; shift 2 ;;
    *) echo "consumer-check: ERROR: unknown argument '$1' (usage: consumer-check.sh [--version X])" >&2; exit 1 ;;
  esac
done
version=${version#v}
if [[ -z "$version" ]]; then
  shopt -s nullglob
  packed=(artifacts/packages/AgentOrchestration.Data.Sqlite.[0-9]*.nupkg)
  (( ${#packed[@]} == 1 )) || { echo "consumer-check: ERROR: found ${#packed[@]} AgentOrchestration.Data.Sqlite packages in artifacts/packages, expected 1; run build/pack.sh and build/publish.sh, or pass --version" >&2; exit 1; }
  version=$(basename "${packed[0]}" .nupkg); version=${version#AgentOrchestration.Data.Sqlite.}
fi
for id in AgentOrchestration.Data AgentOrchestration.Data.Sqlite AgentOrchestration.Data.PostgreSql AgentOrchestration.Data.Testing AgentOrchestration.Cli; do
  [[ -f "$feed/$id.$version.nupkg" ]] || { echo "consumer-check: ERROR: $feed/$id.$version.nupkg is missing; run build/publish.sh" >&2; exit 1; }
done

# Outside the repository, so none of its Directory.Build.props, Directory.Packages.props or nuget.config applies;
# its own package cache, so no stale copy of this version can stand in for the one just published.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NUGET_PACKAGES=$work/packages
app=$work/ConsumerCheck
mkdir -p "$app"
cat >"$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <!-- The local feed in addition to the machine's default sources, which supply the dependencies. -->
  <packageSources>
    <add key="agent-orchestration-local" value="$feed" />
  </packageSources>
</configuration>
XML
cat >"$app/ConsumerCheck.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
</Project>
XML
cat >"$app/Program.cs" <<'CS'
using AgentOrchestration.Data;
using AgentOrchestration.Data.Entities;
using AgentOrchestration.Data.Migrations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

var path = args.Length > 0 ? args[0] : "consumer.db";

var services = new ServiceCollection()
    .AddAgentOrchestration(o => o.UseSqlite("Data Source=" + path))
    .BuildServiceProvider();

await using var scope = services.CreateAsyncScope();
await scope.ServiceProvider.GetRequiredService<IAgentOrchestrationMigrator>().MigrateAsync();

var db = scope.ServiceProvider.GetRequiredService<AgentOrchestrationDbContext>();
db.Add(new Project { Key = "consumer", Name = "Consumer check", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
await db.SaveChangesAsync();

var count = await db.Projects.CountAsync();
Console.WriteLine($"consumer-check: projects in the database: {count}");
if (count != 1)
{
    return 1;
}

return await HostTest.RunAsync();
CS
# A host's test as the Testing package is meant to be used (no test framework needed to prove the package works):
# a throw-away SQLite database, a world with claimed and done work, and a factory's agent that can claim.
cat >"$app/HostTest.cs" <<'CS'
using AgentOrchestration.Data.Agents;
using AgentOrchestration.Data.Claims;
using AgentOrchestration.Data.Testing;
using Microsoft.Extensions.DependencyInjection;

internal static class HostTest
{
    public static async Task<int> RunAsync()
    {
        string file;
        await using (var database = await OrchestrationTestDatabase.CreateAsync(TestDatabaseProvider.Sqlite))
        {
            file = database.Name;
            var world = await OrchestrationWorld.CreateAsync(database.Services, new WorldOptions { Agents = 2, Claimed = 1, Done = 1 });
            await using var scope = database.Services.CreateAsyncScope();
            var fake = new OrchestrationFaker(seed: 7);
            var agent = await scope.ServiceProvider.GetRequiredService<IAgentRegistry>()
                .RegisterAsync(fake.Agent(a => a.Capabilities = [.. world.Agents[0].Capabilities.Select(c => new AgentOrchestration.Data.Entities.CapabilityEntry { Name = c })]));
            var claimed = await scope.ServiceProvider.GetRequiredService<IWorkClaimer>().ClaimNextAsync(agent.Id, world.ProjectId);
            Console.WriteLine($"consumer-check: world {world.ProjectKey}: {world.TaskIds.Count} tasks, {world.DoneTaskIds.Count} done, {world.Claimed.Count} claimed; {agent.Slug} claimed {(claimed is null ? "nothing" : claimed.Title)}");
            if (world.DoneTaskIds.Count != 1 || world.Claimed.Count != 1 || claimed is null)
            {
                return 1;
            }
        }

        if (File.Exists(file))
        {
            Console.WriteLine($"consumer-check: the test database {file} was not deleted");
            return 1;
        }

        return 0;
    }
}
CS

echo "consumer-check: AgentOrchestration.Data.Sqlite, .PostgreSql and .Testing $version from $feed"
log=$work/dotnet.log
run() { "$@" >>"$log" 2>&1 || { cat "$log" >&2; echo "consumer-check: ERROR: '$*' failed" >&2; exit 1; }; }
cd "$app"
run dotnet add package AgentOrchestration.Data.Sqlite --version "$version"
run dotnet add package AgentOrchestration.Data.PostgreSql --version "$version"
run dotnet add package AgentOrchestration.Data.Testing --version "$version"
run dotnet add package Microsoft.Extensions.DependencyInjection --version 10.0.15
run dotnet build -c Release
dotnet run -c Release --no-build -- "$work/consumer.db" || { echo "consumer-check: ERROR: the consumer app failed (exit code $?)" >&2; exit 1; }

# The tool, as a repository installs it: a tool manifest and dotnet tool install from the feed.
echo "consumer-check: AgentOrchestration.Cli $version as a local tool"
repo=$work/repo
mkdir -p "$repo"
# The SDK caches where each local tool version lives (~/.dotnet/toolResolverCache) and never replaces an entry: with the
# same version from an earlier run's throw-away package folder it would point at files long deleted. A home of its own
# keeps this run's install the one that runs.
export DOTNET_CLI_HOME=$work/cli-home
cd "$repo"
run git init -q .
run dotnet new tool-manifest
run dotnet tool install AgentOrchestration.Cli --version "$version" --add-source "$feed"
# A solo agent with no reviewer: the repository's config turns the QA gate off for standard oversight.
printf '{ "project": "consumer", "qa": { "standard": [] } }\n' >.agents.json
agents() { dotnet tool run agents "$@"; }
agents init || { echo "consumer-check: ERROR: 'agents init' failed" >&2; exit 1; }
agents agent register solo >/dev/null || { echo "consumer-check: ERROR: 'agents agent register' failed" >&2; exit 1; }
agents work add "Check the tool package" || { echo "consumer-check: ERROR: 'agents work add' failed" >&2; exit 1; }
claim=$(agents claim --agent solo --json) || { echo "consumer-check: ERROR: 'agents claim --json' failed: $claim" >&2; exit 1; }
lease=$(sed -n 's/.*"lease":"\([^"]*\)".*/\1/p' <<<"$claim")
item=${lease%%:*}
[[ -n "$lease" ]] || { echo "consumer-check: ERROR: 'agents claim --json' printed no lease: $claim" >&2; exit 1; }
agents complete "$lease" || { echo "consumer-check: ERROR: 'agents complete' failed" >&2; exit 1; }
shown=$(agents work show "$item" --json)
grep -q '"status":"done"' <<<"$shown" || { echo "consumer-check: ERROR: the completed item is not done: $shown" >&2; exit 1; }
echo "consumer-check: passed"
