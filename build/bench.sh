#!/usr/bin/env bash
# The benchmark command (see docs/performance.md): builds in Release, starts a throw-away PostgreSQL (unless
# AO_TEST_POSTGRES is set), runs every scenario side by side in one run (round trips per operation, PostgreSQL and
# SQLite claim+complete against their raw floors, the library's own SQL through prepared Npgsql, graphile-worker,
# SQLite contention, scale with plans, locks, NOTIFY, allocations), writes artifacts/bench/results.md and
# results.json and prints the tables. Sized for under 15 minutes on the project's 2-core machine.
#   bash build/bench.sh                 # the full run (only on a quiet machine: the numbers are ratios of a shared box)
#   bash build/bench.sh --quick         # every scenario tiny: asserts correctness (exactly once, no errors, plans), not time
#   bash build/bench.sh --only trips,scale --scale-items 10000,100000
# Exit codes: 0 done (targets met or not), 2 a correctness check failed (or graphile-worker could not be installed),
# 1 bad usage or a missing tool.
set -euo pipefail
cd "$(dirname "$0")/.."
source build/lib/postgres.sh
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "bench: ERROR: the .NET SDK ('dotnet') is not on PATH; install .NET SDK 10" >&2; exit 1; }
# The graphile-worker baseline is installed with npm into a temp folder and run by node; without them it cannot run,
# and a run without it is not the benchmark the issue asks for.
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "bench: ERROR: '$tool' is not on PATH; the graphile-worker baseline needs Node.js and npm" >&2; exit 1; }
done

project=tests/AgentOrchestration.Data.Benchmarks/AgentOrchestration.Data.Benchmarks.csproj
results=artifacts/bench
mkdir -p "$results"

export AO_BENCH_STARTED=$(date +%s)
dotnet build "$project" -c Release

trap pg_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_start

dotnet run --project "$project" -c Release --no-build -- --out "$results" "$@"
