#!/usr/bin/env bash
# Apply pending Prisma migrations (prisma/migrations) to $DATABASE_URL. Safe to run again:
# what is applied is recorded in _prisma_migrations and skipped.
#
#   DATABASE_URL   target database (default: the local one infra/setup.sh creates)
#   MIGRATE_WITH   cli (default: `prisma migrate deploy`, offline through the stand-in
#                  schema engine, see prisma/README.md) or engine (the wasm engine driven
#                  directly, without the CLI; same engine code, same _prisma_migrations rows)
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=migrate
# shellcheck source=infra/lib.sh
. infra/lib.sh

export DATABASE_URL=${DATABASE_URL:-$LOCAL_DATABASE_URL}
redacted=$(printf '%s' "$DATABASE_URL" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#')

case "${MIGRATE_WITH:-cli}" in
  cli)
    # --config so it works from any working directory; the CLI prints its own summary.
    node_modules/.bin/prisma migrate deploy --config prisma.config.ts ;;
  engine)
    [ -d node_modules/@prisma/schema-engine-wasm ] || die "node_modules is missing @prisma/schema-engine-wasm (run npm install)"
    node prisma/engine/migrate-deploy.mjs prisma/migrations ;;
  *) die "MIGRATE_WITH must be cli or engine, not '${MIGRATE_WITH}'" ;;
esac
log "database $redacted is up to date"
