#!/usr/bin/env bash
# Makes this machine ready to run the playground: npm dependencies, the services
# (infra/setup.sh), the Prisma client, the migrations and the Next.js build. Each step is
# skipped when its inputs have not changed since the last run, so a second run is fast.
# Used by `npm start` (infra/start.sh) and `npm test` (test/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STAMPS=$ROOT/.playground/stamps
mkdir -p "$STAMPS"

say() { printf '[prepare] %s\n' "$*"; }
fail() { printf '[prepare] ERROR: %s\n' "$*" >&2; exit 1; }

# Hash of the given files/folders (contents and names), to decide whether a step must run again.
inputs_hash() {
  find "$@" -type f -not -path '*/node_modules/*' -not -path '*/.next/*' -not -path '*/generated/*' -print0 2>/dev/null \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}
# step NAME HASH: true when the step must run (its stamp differs).
stale() { [ "$(cat "$STAMPS/$1" 2>/dev/null)" != "$2" ]; }
stamp() { echo "$2" > "$STAMPS/$1"; }

command -v node >/dev/null || fail "Node.js is missing: install Node.js 20.19 or newer (with npm) first"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || fail "Node.js $(node --version) is too old: the playground needs 20.19 or newer"

deps=$(inputs_hash package.json package-lock.json apps/*/package.json packages/*/package.json)
if stale deps "$deps" || [ ! -d node_modules ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
  stamp deps "$deps"
fi

bash infra/setup.sh

schema=$(inputs_hash prisma/schema.prisma prisma.config.ts)
if stale prisma-client "$schema" || [ ! -d apps/orchestrator/src/generated/prisma ]; then
  say "generating the Prisma client"
  # generate needs no schema engine, but the CLI insists that one exists.
  PRISMA_SCHEMA_ENGINE_BINARY=${PRISMA_SCHEMA_ENGINE_BINARY:-/bin/true} npx prisma generate >/dev/null
  stamp prisma-client "$schema"
fi

bash infra/migrate.sh

web=$(inputs_hash apps/web packages/contracts/src package-lock.json)
if stale web-build "$web" || [ ! -f apps/web/.next/BUILD_ID ]; then
  say "building the web app (Next.js)"
  (cd apps/web && NEXT_TELEMETRY_DISABLED=1 npx next build >"$ROOT/.playground/next-build.log" 2>&1) \
    || { tail -40 "$ROOT/.playground/next-build.log" >&2; fail "next build failed (log: .playground/next-build.log)"; }
  stamp web-build "$web"
fi
say "ready"
