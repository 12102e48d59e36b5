import { PrismaPg } from "@prisma/adapter-pg";
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
  /** Encrypts private keys at rest; null = no SWITCHYARD_SECRET_KEY (storing a key then fails). */
  readonly secrets: TSecretBox | null;
  close(): Promise<void>;
};

/** Inside `prisma.$transaction(async (tx) => ...)`. */
export type Tx = Prisma.TransactionClient;

export function createDb(databaseUrl: string, opts: { maxConnections?: number; secrets?: TSecretBox | null } = {}): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: opts.maxConnections ?? 10 });
  const prisma = new PrismaClient({ adapter });
  let closed: Promise<void> | undefined;
  return {
    prisma,
    databaseUrl,
    secrets: opts.secrets ?? null,
    close: () => (closed ??= prisma.$disconnect()),
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
