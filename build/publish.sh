#!/usr/bin/env bash
# Pushes artifacts/packages (from build/pack.sh: the libraries and the agents tool) to a feed.
# Default: the repository's local folder feed build/feed (nuget.config lists it), replacing a copy of the same version.
# With AO_NUGET_SOURCE and AO_NUGET_API_KEY both set: that feed, skipping versions it already has.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "publish: ERROR: the .NET SDK ('dotnet') is not on PATH; install .NET SDK 10" >&2; exit 1; }

shopt -s nullglob
packages=(artifacts/packages/*.nupkg)
(( ${#packages[@]} )) || { echo "publish: ERROR: no packages in artifacts/packages; run bash build/pack.sh first" >&2; exit 1; }

source=${AO_NUGET_SOURCE:-} key=${AO_NUGET_API_KEY:-}
if [[ -n "$source" || -n "$key" ]]; then
  [[ -n "$source" && -n "$key" ]] || { echo "publish: ERROR: set both AO_NUGET_SOURCE and AO_NUGET_API_KEY (or neither, for the local feed)" >&2; exit 1; }
  # A .snupkg beside each .nupkg is pushed with it, to the feed's symbol server.
  for package in "${packages[@]}"; do
    dotnet nuget push "$package" --source "$source" --api-key "$key" --skip-duplicate
  done
  echo "publish: pushed ${#packages[@]} packages to AO_NUGET_SOURCE"
  exit 0
fi

feed=$(pwd)/build/feed
mkdir -p "$feed"
for package in "${packages[@]}"; do
  # A local rebuild keeps its version, so drop the old copy: consumers must get the package just packed.
  name=$(basename "$package" .nupkg)
  rm -f "$feed/$name.nupkg" "$feed/$name.snupkg"
  dotnet nuget push "$package" --source "$feed"
  # A folder feed has no symbol server, so push leaves the .snupkg out; keep it beside its package.
  [[ ! -f "${package%.nupkg}.snupkg" ]] || cp "${package%.nupkg}.snupkg" "$feed/"
done
echo "publish: pushed ${#packages[@]} packages to the local feed $feed"
