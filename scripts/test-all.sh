#!/usr/bin/env bash
# The README's one test command, for a fresh Debian machine with Node and npm
# (run as root, or with sudo): installs what the suite needs and is missing —
# the Debian packages of scripts/test-tools.sh, then Node 24 LTS into
# .tools/node24 when the machine's node is older — and runs `npm ci` and
# `npm test` under Node 24. Changes nothing already there; a second run
# installs nothing. .ci/run is this script and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-tools.sh install
# PATH and npm_config_nodedir for everything below: npm ci builds
# better-sqlite3 against Node 24's headers, npm test runs on Node 24.
source scripts/node24-env.sh
npm ci
npm test
