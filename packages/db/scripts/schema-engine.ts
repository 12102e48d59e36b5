import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import type * as SchemaEngineWasm from "@prisma/schema-engine-wasm";
import type { MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm";
import { pgConfigFromUrl, quoteIdent } from "../src/pg-url.ts";
import { MIGRATIONS_DIR, readMigrations } from "../src/migrations-dir.ts";

/**
 * Prisma's schema engine compiled to WebAssembly, driven over @prisma/adapter-pg: the
 * same engine `prisma migrate` uses, without the native binary the CLI would download.
 *
 * The package's entry does `import * as wasm from "./schema_engine_bg.wasm"`, which
 * Node 20 only allows behind --experimental-wasm-modules. We instantiate the module by
 * hand instead (its only import namespace is its own JS glue), so plain `tsx` works.
 */
export async function loadSchemaEngine(databaseUrl: string, log: (line: string) => void = () => {}): Promise<SchemaEngine> {
  const bg = await (wasmGlue ??= instantiateWasm());
  const adapter = bindMigrationAwareSqlAdapterFactory(shadowAwareFactory(databaseUrl));
  const schema = await readFile(path.resolve(MIGRATIONS_DIR, "../schema.prisma"), "utf8");
  return bg.SchemaEngine.new({ datamodels: [["schema.prisma", schema]] }, (line: string) => log(line), adapter);
}

type TWasmGlue = typeof SchemaEngineWasm & { __wbg_set_wasm(exports: Record<string, unknown>): void };

// The JS glue keeps the instance in module state (memory views, the heap of JS values):
// instantiate once per process and create every engine from that one instance.
let wasmGlue: Promise<TWasmGlue> | undefined;

async function instantiateWasm(): Promise<TWasmGlue> {
  const bg = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as unknown as TWasmGlue;
  const require = createRequire(import.meta.url);
  // The package exports no ./package.json, so locate the .wasm beside its JS entry.
  const wasmPath = path.join(path.dirname(require.resolve("@prisma/schema-engine-wasm")), "schema_engine_bg.wasm");
  const { instance } = await wasmApi().instantiate(await readFile(wasmPath), { "./schema_engine_bg.js": bg });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  return bg;
}

/** The WebAssembly global, typed here because the project's lib (ES2023, no DOM) lacks it. */
function wasmApi(): {
  instantiate(bytes: Uint8Array, imports: Record<string, object>): Promise<{ instance: { exports: Record<string, unknown> } }>;
} {
  return (globalThis as unknown as { WebAssembly: ReturnType<typeof wasmApi> }).WebAssembly;
}

/**
 * PrismaPg's own connectToShadowDb drops the shadow database while its pool still holds
 * a connection (so DROP fails with "being accessed by other users") and never closes
 * the pool it created it with. This factory makes the shadow database itself and drops
 * it (WITH (FORCE)) only after the engine has disposed of its adapter.
 */
function shadowAwareFactory(databaseUrl: string): SqlMigrationAwareDriverAdapterFactory {
  const config = pgConfigFromUrl(databaseUrl);
  // The engine never releases Prisma's migrate advisory lock before it is dropped (the
  // CLI simply exits); a short idle timeout closes its connection, and with it the lock,
  // soon after a command instead of after pg's default 10 s.
  const main = new PrismaPg({ ...config, idleTimeoutMillis: 200 });
  const admin = async (sql: string) => {
    const client = new pg.Client(config);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => patchAdapter(await main.connect()),
    connectToShadowDb: async () => {
      const database = `prisma_migrate_shadow_db_${randomUUID().replace(/-/g, "")}`;
      await admin(`CREATE DATABASE ${quoteIdent(database)}`);
      const adapter = patchAdapter(await new PrismaPg({ ...config, database }).connect());
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await admin(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
      };
      return adapter;
    },
  };
}

const PG_CHAR = 18; // the one-byte internal type "char" (pg_class.relkind, pg_constraint.contype...)
const PG_TEXT = 25;

type TPerformIO = (query: unknown) => Promise<{ fields: { name: string; dataTypeID: number }[]; rows: unknown[][] }>;

/**
 * Makes adapter-pg 7.10 behave like the native engine's driver where the schema engine
 * needs it (both are dev-tooling only: the console never runs catalog queries).
 *
 * adapter-pg 7.10 has no column-type mapping for Postgres' internal "char" type, which
 * the schema engine's catalog queries select, and fails with "Column type 'char' could
 * not be deserialized". node-postgres already returns those values as strings, so we
 * relabel such columns as text before the adapter maps them, on the adapter and on every
 * transaction it opens.
 */
function patchAdapter<T extends object>(queryable: T): T {
  const target = queryable as T & { performIO?: TPerformIO; startTransaction?: (...args: unknown[]) => Promise<object> };
  const performIO = target.performIO?.bind(target);
  if (performIO) {
    target.performIO = async (query) => {
      const result = await performIO(query);
      result.fields.forEach((field, i) => {
        if (field.dataTypeID !== PG_CHAR) return;
        field.dataTypeID = PG_TEXT;
        // PostgreSQL 18 lists NOT NULL as constraints of type 'n' (the embedded server is
        // 18); this engine knows only the older types and panics on them. Nullability is
        // read from pg_attribute anyway, so these rows carry nothing it needs.
        if (field.name === "constraint_type") result.rows = result.rows.filter((row) => row[i] !== "n");
      });
      return result;
    };
  }
  // adapter-pg's executeScript splits a migration on every ';', which breaks function
  // bodies ($$ ... ; ... $$). Postgres' simple query protocol runs a whole multi-statement
  // script as the native engine does, so hand it the script in one piece.
  const scriptable = target as T & { executeScript?: (script: string) => Promise<void>; underlyingDriver?: () => pg.Pool; onError?: (e: unknown) => never };
  if (scriptable.executeScript && scriptable.underlyingDriver && scriptable.onError) {
    const pool = scriptable.underlyingDriver();
    const onError = scriptable.onError.bind(scriptable);
    scriptable.executeScript = async (script) => {
      try {
        await pool.query(script);
      } catch (err) {
        onError(err);
      }
    };
  }
  const startTransaction = target.startTransaction?.bind(target);
  if (startTransaction) target.startTransaction = async (...args) => patchAdapter(await startTransaction(...args));
  return queryable;
}

/** The committed migrations in the shape the engine expects. */
export async function migrationList(): Promise<MigrationList> {
  let lockContent: string | null = null;
  try {
    lockContent = await readFile(path.join(MIGRATIONS_DIR, "migration_lock.toml"), "utf8");
  } catch {
    lockContent = null;
  }
  const migrations = await readMigrations();
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: "migration_lock.toml", content: lockContent },
    shadowDbInitScript: "",
    migrationDirectories: migrations.map((m) => ({
      path: m.name,
      migrationFile: { path: "migration.sql", content: { tag: "ok", value: m.sql } },
    })),
  };
}
