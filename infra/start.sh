#!/usr/bin/env bash
# `npm start`: prepares this machine (first run: installs and builds; later runs: seconds)
# and runs the whole playground on it. Arguments pass to the launcher (e.g. --nodes 2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/prepare.sh
export NEXT_TELEMETRY_DISABLED=1
exec node --import tsx infra/launcher/main.ts "$@"
