#!/usr/bin/env bash
# Packs the library packages and the agents tool (Release, with symbols) into artifacts/packages.
# Version: --version X, else AO_VERSION, else the VersionPrefix in Directory.Build.props. A leading "v" (a git tag) is dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "pack: ERROR: the .NET SDK ('dotnet') is not on PATH; install .NET SDK 10" >&2; exit 1; }

version=${AO_VERSION:-}
while (( $# )); do
  case $1 in
    --version) version=${2:?"pack: --version needs a value"}; shift 2 ;;
    *) echo "pack: ERROR: unknown argument '$1' (usage: pack.sh [--version X])" >&2; exit 1 ;;
  esac
done
version=${version#v}

projects=(AgentOrchestration.Data AgentOrchestration.Data.Sqlite AgentOrchestration.Data.PostgreSql AgentOrchestration.Data.Testing AgentOrchestration.Cli)
version_args=()
if [[ -n "$version" ]]; then
  version_args=("-p:Version=$version")
else
  version=$(dotnet msbuild "src/${projects[0]}/${projects[0]}.csproj" -getProperty:Version)
fi
[[ -n "$version" ]] || { echo "pack: ERROR: could not work out the package version" >&2; exit 1; }

out=artifacts/packages
rm -rf "$out"
for project in "${projects[@]}"; do
  dotnet pack "src/$project/$project.csproj" -c Release --nologo -v quiet "${version_args[@]}"
done

missing=0
for project in "${projects[@]}"; do
  for ext in nupkg snupkg; do
    [[ -f "$out/$project.$version.$ext" ]] || { echo "pack: ERROR: $out/$project.$version.$ext was not produced" >&2; missing=1; }
  done
done
(( missing == 0 )) || exit 1
echo "pack: ${#projects[@]} packages (and symbols) at version $version in $out:"
ls -1 "$out"
