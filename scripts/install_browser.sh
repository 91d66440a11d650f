#!/usr/bin/env bash
# Install the headless browser the browser tests drive (Chromium and its driver) from the
# distribution's packages. Never downloads a browser any other way (no `playwright install`).
#   - /usr/bin/chromium present: nothing to do.
#   - apt-get present: apt-get install chromium chromium-driver (as root, or through sudo).
#   - no apt-get: print a loud message and exit 0; the browser tests then skip, saying why.
set -euo pipefail

CHROMIUM="${PANOPTISIM_CHROMIUM:-/usr/bin/chromium}"  # overridable for the script's own test
if [ -x "$CHROMIUM" ]; then
    echo "install_browser: $CHROMIUM is present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    cat >&2 <<'MSG'
************************************************************************************
* install_browser: apt-get is not available on this system, so Chromium could not   *
* be installed. THE BROWSER TESTS (tests/test_browser.py) WILL BE SKIPPED.          *
* Install Chromium at /usr/bin/chromium with your package manager to run them.      *
************************************************************************************
MSG
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_browser: not root and no sudo: cannot run apt-get install chromium" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver
if [ ! -x /usr/bin/chromium ]; then
    echo "install_browser: apt-get finished but /usr/bin/chromium is missing" >&2
    exit 1
fi
echo "install_browser: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
