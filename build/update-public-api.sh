#!/usr/bin/env bash
# Adds every new public symbol of the library projects to PublicAPI.Unshipped.txt (the RS0016 code fix).
# Review the diff: it is the public contract.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in src/*/*.csproj; do
  echo "== $project"
  dotnet format analyzers "$project" --diagnostics RS0016 RS0017 --severity warn
done
