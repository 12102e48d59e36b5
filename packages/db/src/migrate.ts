import { createHash, randomUUID } from "node:crypto";
import pg from "pg";
import { MIGRATIONS_DIR, readMigrations } from "./migrations-dir.ts";

/**
 * The advisory lock key Prisma's schema engine takes around `migrate deploy`: using the
 * same one makes this migrator and the Prisma CLI exclude each other too.
 */
const PRISMA_MIGRATE_LOCK = 72707369;

/** Prisma's own bookkeeping table, created exactly as the schema engine creates it. */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {
  readonly code = "SWY_ERR_MIGRATION";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MigrationError";
  }
}

/**
 * Applies the pending committed migrations (prisma/migrations) to a database, recording
 * them in `_prisma_migrations` the way `prisma migrate deploy` does, so either tool can
 * take over from the other. Idempotent; concurrent callers serialise on an advisory lock
 * and the later ones find nothing to do. Each migration runs in its own transaction
 * (so a failed one leaves no trace and can be fixed and re-run); statements that refuse
 * transactions, such as CREATE INDEX CONCURRENTLY, therefore do not belong in one.
 *
 * A small migrator of our own rather than Prisma's engine: it runs in any plain `node` /
 * `tsx` process (the console server, tests) without the native schema-engine binary.
 */
export async function migrateDatabase(
  databaseUrl: string,
  opts: { log?: (line: string) => void; migrationsDir?: string } = {},
): Promise<void> {
  const log = opts.log ?? (() => {});
  const migrations = await readMigrations(opts.migrationsDir ?? MIGRATIONS_DIR);
  const client = new pg.Client({ connectionString: databaseUrl });
  // A dropped connection surfaces as a rejected query below; without a listener the
  // client's 'error' event would crash the process instead.
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK]);
    try {
      await client.query(CREATE_MIGRATIONS_TABLE);
      const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
      );
      const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
      if (failed.length) {
        throw new MigrationError(
          `migration ${failed.map((r) => r.migration_name).join(", ")} failed earlier and is not rolled back; ` +
            `fix the database, then mark it with \`prisma migrate resolve\``,
        );
      }
      const applied = new Map(rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => [r.migration_name, r.checksum]));
      let count = 0;
      for (const m of migrations) {
        const checksum = createHash("sha256").update(m.sql).digest("hex");
        const appliedChecksum = applied.get(m.name);
        if (appliedChecksum !== undefined) {
          if (appliedChecksum !== checksum) log(`warning: migration ${m.name} was edited after it was applied (checksum differs)`);
          continue;
        }
        log(`applying migration ${m.name}`);
        try {
          await client.query("BEGIN");
          const id = randomUUID();
          await client.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`, [
            id,
            checksum,
            m.name,
          ]);
          await client.query(m.sql); // simple query protocol: the whole multi-statement script
          await client.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
          await client.query("COMMIT");
          count++;
        } catch (err) {
          await client.query("ROLLBACK").catch(() => {});
          throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
      }
      const known = new Set(migrations.map((m) => m.name));
      for (const name of applied.keys()) if (!known.has(name)) log(`warning: migration ${name} is applied but missing from ${opts.migrationsDir ?? "prisma/migrations"}`);
      log(count ? `applied ${count} migration(s)` : "database is up to date");
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}
