#!/usr/bin/env bash
# Debian's headless Chromium and its driver for the web dashboard's browser test. Source this file, then:
#   chromium_ensure     # installs the packages 'chromium' and 'chromium-driver' with apt-get when missing
# The test uses /usr/bin/chromium and /usr/bin/chromedriver and never downloads a browser or a driver.

chromium_ensure() {
  [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] && return 0
  echo "chromium: /usr/bin/chromium or /usr/bin/chromedriver missing; installing the Debian packages 'chromium' and 'chromium-driver'"
  local sudo=""
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "chromium: ERROR: cannot install as this user: run 'apt-get install -y chromium chromium-driver' as root" >&2; return 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null \
    || { echo "chromium: ERROR: 'apt-get install -y chromium chromium-driver' failed" >&2; return 1; }
}
