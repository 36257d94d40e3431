import { defineConfig } from 'prisma/config';

// DATABASE_URL defaults to the local database that infra/setup.sh creates.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://playground:playground@127.0.0.1:5432/playground' },
});
