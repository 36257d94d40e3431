import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.ts';

export type Db = PrismaClient;

/** The Prisma client over node-postgres; no native engine needed. */
export function createDb(databaseUrl: string): Db {
  // A short connect timeout keeps health checks and requests from hanging when Postgres is down.
  const adapter = new PrismaPg({ connectionString: databaseUrl, connectionTimeoutMillis: 2_000, max: 10 });
  return new PrismaClient({ adapter });
}
