import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient, type Prisma } from "./generated/prisma/client.ts";
import type { TSecretBox } from "./secret-box.ts";

/**
 * A handle on the console database: the Prisma client (over node-postgres via
 * @prisma/adapter-pg, no query-engine binary) plus the URL, which LISTEN and admin
 * connections need. Every data-access function takes one as its first argument.
 */
export type Db = {
  readonly prisma: PrismaClient;
  readonly databaseUrl: string;
  /**
   * node-postgres beside Prisma, for the statements Prisma's per-row path makes costly:
   * telemetry batches (one INSERT of column arrays) and the bounded rollup / retention
   * statements. Small (TELEMETRY_POOL_MAX) so telemetry never takes the API's connections.
   */
  readonly pool: pg.Pool;
  /** Encrypts private keys at rest; null = no SWITCHYARD_SECRET_KEY (storing a key then fails). */
  readonly secrets: TSecretBox | null;
  close(): Promise<void>;
};

/** Inside `prisma.$transaction(async (tx) => ...)`. */
export type Tx = Prisma.TransactionClient;

const TELEMETRY_POOL_MAX = 2;

export function createDb(databaseUrl: string, opts: { maxConnections?: number; secrets?: TSecretBox | null } = {}): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: opts.maxConnections ?? 10 });
  const prisma = new PrismaClient({ adapter });
  const pool = new pg.Pool({ connectionString: databaseUrl, max: TELEMETRY_POOL_MAX });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on("error", () => undefined);
  let closed: Promise<void> | undefined;
  return {
    prisma,
    databaseUrl,
    pool,
    secrets: opts.secrets ?? null,
    close: () => (closed ??= Promise.all([prisma.$disconnect(), pool.end()]).then(() => undefined)),
  };
}

/**
 * Interactive transaction with limits that suit console writes: waiting for the
 * config lock may take a while when publishes queue up (Prisma's defaults are 2s / 5s).
 */
export function transaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, opts: { isolationLevel?: Prisma.TransactionIsolationLevel } = {}): Promise<T> {
  return db.prisma.$transaction(fn, { maxWait: 10_000, timeout: 60_000, ...opts });
}

/**
 * Serialises every writer of the working config and of the version history (replace,
 * publish, rollback, seed) inside their transactions, so a publish reads a working
 * config no other writer is halfway through, and version numbers never collide.
 */
export async function lockConfig(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(7301, 1)`;
}
