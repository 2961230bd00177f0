#!/usr/bin/env bash
# The soak: worker processes claiming, locking, heartbeating, completing, killed at random with SIGKILL and
# reaped, on SQLite (one file) and on a throw-away PostgreSQL (unless AO_TEST_POSTGRES is set), then invariants checked:
# every item done exactly once, never two live exclusive locks on one path (from the event log), the event log read
# live is the whole log, each event once, in order. Prints one summary line per provider (docs/reliability.md quotes it).
#   bash build/soak.sh                 # 10 minutes per provider (30 seconds when CI=true)
#   bash build/soak.sh --seconds 60    # any length; --processes N workers at a time (default 4)
# Exit codes: 0 every invariant held, 1 one did not (or bad usage, or a provider could not run).
set -euo pipefail
cd "$(dirname "$0")/.."
source build/lib/postgres.sh
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

seconds=600
[[ "${CI:-}" == "true" ]] && seconds=30
processes=4
while (( $# > 0 )); do
  case "$1" in
    --seconds) [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "soak: --seconds needs a whole number of seconds" >&2; exit 1; }; seconds=$2; shift 2 ;;
    --processes) [[ "${2:-}" =~ ^[0-9]+$ && "$2" -ge 1 ]] || { echo "soak: --processes needs a number of at least 1" >&2; exit 1; }; processes=$2; shift 2 ;;
    *) echo "soak: unknown option '$1': use --seconds N, --processes N" >&2; exit 1 ;;
  esac
done

command -v dotnet >/dev/null || { echo "soak: ERROR: the .NET SDK ('dotnet') is not on PATH; install .NET SDK 10" >&2; exit 1; }
dotnet build tests/AgentOrchestration.Data.Tests -c Release >/dev/null
assembly=$(find artifacts/build/bin/AgentOrchestration.Data.Tests/release -maxdepth 1 -name AgentOrchestration.Data.Tests.dll | head -1)
[[ -n "$assembly" ]] || { echo "soak: the test assembly was not built" >&2; exit 1; }

trap pg_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_start >/dev/null

work=$(mktemp -d)
status=0
results=artifacts/soak
mkdir -p "$results"
: >"$results/summary.txt"
dotnet exec "$assembly" soak run sqlite "Data Source=$work/soak.db" "$seconds" "$processes" | tee -a "$results/summary.txt" || status=1
# A database of its own on the server, dropped afterwards.
db="soak_$(date +%s)_$$"
pg_admin="$AO_TEST_POSTGRES"
dotnet exec "$assembly" soak run postgresql "${pg_admin/Database=postgres/Database=$db}" "$seconds" "$processes" | tee -a "$results/summary.txt" || status=1
rm -rf "$work"
(( status == 0 )) && echo "soak: every invariant held" || echo "soak: FAILED" >&2
exit $status
