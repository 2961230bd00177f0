#!/usr/bin/env bash
# The benchmark command (DESIGN.md §4): builds in Release, starts a throw-away PostgreSQL (unless AO_TEST_POSTGRES is
# set), runs every measurement side by side in one run, writes the table to artifacts/bench/results.md and prints it.
# Extra arguments go to the benchmark, e.g. bash build/bench.sh --scale 0.25 for a quick smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
source build/lib/postgres.sh
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "bench: ERROR: the .NET SDK ('dotnet') is not on PATH; install .NET SDK 10" >&2; exit 1; }

project=tests/AgentOrchestration.Data.Benchmarks/AgentOrchestration.Data.Benchmarks.csproj
results=artifacts/bench
mkdir -p "$results"

dotnet build "$project" -c Release

trap pg_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_start

dotnet run --project "$project" -c Release --no-build -- --out "$results/results.md" "$@"
