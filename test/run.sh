#!/usr/bin/env bash
# `npm test`: every test — unit, integration against the real services, and end-to-end in
# real Chromium. Prepares the machine first (services, image, build: fast when already
# done), so a fresh clone needs nothing else. Extra arguments are test files to run alone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/prepare.sh
export NEXT_TELEMETRY_DISABLED=1

if [ $# -gt 0 ]; then
  exec node --import tsx --test --test-concurrency=1 "$@"
fi

# Files that touch no shared service (test/parallel-safe.txt) run two at a time while the type
# check runs beside them: neither waits on anything but the CPU, and tsc uses one core.
mapfile -t parallel < <(grep -v '^#' test/parallel-safe.txt | grep .)
for file in "${parallel[@]}"; do
  [ -f "$file" ] || { echo "[test] test/parallel-safe.txt lists $file, which does not exist" >&2; exit 1; }
  if grep -qE "from '(node:child_process|dockerode|ioredis|bullmq|pg|playwright-core)'|support/(test-stack|database|private-services|browser)\.ts|test/harness\.ts" "$file"; then
    echo "[test] $file is listed in test/parallel-safe.txt but uses a shared service: run it with the serial rest" >&2
    exit 1
  fi
done
is_parallel() { printf '%s\n' "${parallel[@]}" | grep -qxF "$1"; }

# Unit and integration tests beside the code first, then cross-app tests, then the browser suite.
mapfile -t unit < <(find packages apps infra prisma -name '*.test.ts' -not -path '*/node_modules/*' -not -path '*/generated/*' | sort)
mapfile -t cross < <(find test -name '*.test.ts' -not -path 'test/e2e/*' | sort)
mapfile -t e2e < <(find test/e2e -name '*.test.ts' 2>/dev/null | sort)
serial=()
for file in "${unit[@]}" "${cross[@]}" "${e2e[@]}"; do is_parallel "$file" || serial+=("$file"); done

echo "[test] type-checking every workspace, beside the ${#parallel[@]} files of test/parallel-safe.txt"
typecheck_log=$(mktemp)
npm run --silent typecheck >"$typecheck_log" 2>&1 &
typecheck=$!
# Meanwhile the cluster tests' second Docker engine comes up (infra/node-engines.sh): on a
# fresh machine that is a dockerd start and the instance image copied in, disk work the first
# cluster test would otherwise wait for. The tests ask for it again (fast once it runs) and
# report any failure themselves.
engines_log=$(mktemp)
bash infra/node-engines.sh up 2 >"$engines_log" 2>&1 &
engines=$!
status=0
node --import tsx --test --test-concurrency=2 "${parallel[@]}" || status=$?
wait "$engines" || { cat "$engines_log" >&2; echo "[test] infra/node-engines.sh up 2 failed; the cluster tests will say why" >&2; }
rm -f "$engines_log"
if ! wait "$typecheck"; then
  cat "$typecheck_log" >&2
  echo "[test] the type check failed" >&2
  exit 1
fi
rm -f "$typecheck_log"
# One file at a time: the suites share one Docker engine and two cores.
node --import tsx --test --test-concurrency=1 "${serial[@]}" || status=$?
exit "$status"
