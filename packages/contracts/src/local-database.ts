// The database `infra/setup.sh` creates on this machine: what every TypeScript part uses when
// DATABASE_URL is unset (the orchestrator's config, the launcher, prisma.config.ts, test
// databases). Bash scripts take the same default from LOCAL_DATABASE_URL in infra/lib.sh.
// Kept out of the package index: browser bundles have no use for it.

export const LOCAL_DATABASE_URL = 'postgresql://playground:playground@127.0.0.1:5432/playground';
