#!/usr/bin/env bash
# The test command: builds in Release, starts a throw-away PostgreSQL (unless AO_TEST_POSTGRES is set),
# runs every test and prints one line "tests: N passed, N failed, N skipped".
# Extra arguments go to dotnet test, e.g. bash build/test.sh --filter "FullyQualifiedName~Sqlite".
# CI=true is passed through: under it the PostgreSQL tests fail, rather than skip, when they cannot connect.
set -euo pipefail
cd "$(dirname "$0")/.."
source build/lib/postgres.sh
source build/lib/chromium.sh
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "test: ERROR: the .NET SDK ('dotnet') is not on PATH; install .NET SDK 10" >&2; exit 1; }

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

dotnet tool restore
dotnet restore AgentOrchestration.Data.sln
dotnet build AgentOrchestration.Data.sln -c Release --no-restore
# The tool's tests start it hundreds of times: precompiled (ReadyToRun) for this machine, a start takes about half the CPU
# of the plain build's (which JIT-compiles EF Core on every start). Same sources, published into a folder of its own.
cli=artifacts/test-cli
rm -rf "$cli"
rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -1)
dotnet publish src/AgentOrchestration.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$cli"
export AO_TEST_CLI="$PWD/$cli/agents.dll"

# The web dashboard's browser test needs Debian's chromium; under CI=true it fails without it, so install it here.
chromium_ensure

trap pg_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_start

status=0
dotnet test AgentOrchestration.Data.sln -c Release --no-build --results-directory "$results" \
  --logger "trx" --logger "console;verbosity=normal" "$@" || status=$?

# Sum the <Counters> of every .trx file (one per test project).
passed=0 failed=0 total=0
counter() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$2"; }
while IFS= read -r line; do
  total=$((total + $(counter total "$line")))
  passed=$((passed + $(counter passed "$line")))
  failed=$((failed + $(counter failed "$line") + $(counter error "$line") + $(counter timeout "$line") + $(counter aborted "$line")))
done < <(find "$results" -name '*.trx' -exec grep -ho '<Counters [^>]*>' {} + 2>/dev/null)
skipped=$((total - passed - failed))

summary="tests: $passed passed, $failed failed, $skipped skipped"
echo "$summary" >"$results/summary.txt"

if (( status != 0 || failed > 0 )); then
  # Last, so that a log cut to its tail still names the failed tests and why they failed.
  if command -v python3 >/dev/null; then python3 build/lib/failed-tests.py "$results" >&2 || true; fi
  echo "$summary"
  echo "test: FAILED (dotnet test exit code $status, $failed failed)" >&2
  exit 1
fi
echo "$summary"
if (( passed + failed == 0 )); then
  echo "test: FAILED: no test ran" >&2
  exit 1
fi
