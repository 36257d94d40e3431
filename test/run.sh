#!/usr/bin/env bash
# `npm test`: every test — unit, integration against the real services, and end-to-end in
# real Chromium. Prepares the machine first (services, image, build: fast when already
# done), so a fresh clone needs nothing else. Extra arguments are test files to run alone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/prepare.sh
export NEXT_TELEMETRY_DISABLED=1

if [ $# -gt 0 ]; then
  files=("$@")
else
  # Unit and integration tests beside the code first, then cross-app tests, then the browser suite.
  mapfile -t unit < <(find packages apps infra prisma -name '*.test.ts' -not -path '*/node_modules/*' -not -path '*/generated/*' | sort)
  mapfile -t cross < <(find test -name '*.test.ts' -not -path 'test/e2e/*' | sort)
  mapfile -t e2e < <(find test/e2e -name '*.test.ts' 2>/dev/null | sort)
  files=("${unit[@]}" "${cross[@]}" "${e2e[@]}")
fi
if [ $# -eq 0 ]; then
  echo "[test] type-checking every workspace"
  npm run --silent typecheck
fi
# One file at a time: the suites share one Docker engine and two cores.
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
