import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from './generated/prisma/client.ts';

export type Db = PrismaClient;
/** The shared client or an interactive transaction's client: code that may run inside a transaction takes this. */
export type DbClient = Prisma.TransactionClient;

/**
 * The Prisma client over node-postgres; no native engine needed. Every call is time-boxed
 * so a stopped or hung Postgres makes requests fail fast (503 `unavailable`) instead of
 * hanging: 2 s to connect, 10 s per query. The pool drops broken connections and opens
 * new ones when Postgres is back, so the process recovers without a restart.
 */
export function createDb(databaseUrl: string): Db {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    connectionTimeoutMillis: 2_000,
    query_timeout: 10_000,
    max: 10,
  });
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 3_000, timeout: 10_000 } });
}
