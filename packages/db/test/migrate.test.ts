import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashConfig, parseConfig } from "@switchyard/config-model";
import { createDb, getWorkingConfig, migrateDatabase, MigrationError } from "../src/index.ts";
import { readMigrations } from "../src/migrations-dir.ts";
import { quoteIdent, withDatabase } from "../src/pg-url.ts";
import { testServerUrl } from "../src/testing/test-database.ts";

/** A bare (unmigrated) database per test. */
const created: string[] = [];
async function bareDatabase(): Promise<string> {
  const name = `swy_test_mig_${Date.now().toString(36)}_${Math.random().toString(16).slice(2, 8)}`;
  await sql(testServerUrl(), `CREATE DATABASE ${quoteIdent(name)}`);
  created.push(name);
  return withDatabase(testServerUrl(), name);
}

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "swy-mig-"));
});
afterAll(async () => {
  for (const name of created) await sql(testServerUrl(), `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  await rm(tmp, { recursive: true, force: true });
});

describe("migrateDatabase", () => {
  it("applies the committed migrations once, recorded the way Prisma records them", async () => {
    const url = await bareDatabase();
    const lines: string[] = [];
    await migrateDatabase(url, { log: (l) => lines.push(l) });
    const committed = await readMigrations();
    expect(committed.length).toBeGreaterThan(0);
    expect(lines).toContain(`applying migration ${committed[0]!.name}`);

    const rows = await sql<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      url,
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(committed.map((m) => m.name));
    expect(rows[0]?.checksum).toBe(createHash("sha256").update(committed[0]!.sql).digest("hex"));
    expect(rows.every((r) => r.finished_at !== null && r.applied_steps_count === 1)).toBe(true);
    const tables = (await sql<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).map((r) => r.tablename);
    for (const t of ["ConfigResource", "ConfigChange", "ConfigVersion", "Node", "AuditLog", "User", "Session", "WorkingConfigMeta"]) expect(tables).toContain(t);

    // Idempotent: a second run applies nothing.
    const again: string[] = [];
    await migrateDatabase(url, { log: (l) => again.push(l) });
    expect(again).toEqual(["database is up to date"]);
    expect(await sql(url, `SELECT 1 FROM "_prisma_migrations"`)).toHaveLength(committed.length);
  });

  it("is safe when two processes migrate the same database at once", async () => {
    const url = await bareDatabase();
    await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)]);
    const rows = await sql(url, `SELECT migration_name FROM "_prisma_migrations"`);
    expect(rows).toHaveLength((await readMigrations()).length);
  });

  it("rolls a failing migration back entirely and says which one failed", async () => {
    const dir = path.join(tmp, "failing");
    await mkdir(path.join(dir, "20200101000000_ok"), { recursive: true });
    await writeFile(path.join(dir, "20200101000000_ok", "migration.sql"), `CREATE TABLE "A" (id INT);`);
    await mkdir(path.join(dir, "20200102000000_bad"), { recursive: true });
    await writeFile(path.join(dir, "20200102000000_bad", "migration.sql"), `CREATE TABLE "B" (id INT);\nSELECT nope FROM nowhere;`);
    const url = await bareDatabase();
    await expect(migrateDatabase(url, { migrationsDir: dir })).rejects.toSatisfy(
      (err) => err instanceof MigrationError && err.message.includes("20200102000000_bad") && err.message.includes("nowhere"),
    );
    const tables = (await sql<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).map((r) => r.tablename);
    expect(tables).toContain("A");
    expect(tables).not.toContain("B");
    expect((await sql<{ migration_name: string }>(url, `SELECT migration_name FROM "_prisma_migrations"`)).map((r) => r.migration_name)).toEqual([
      "20200101000000_ok",
    ]);

    // Fixed, it applies on the next run.
    await writeFile(path.join(dir, "20200102000000_bad", "migration.sql"), `CREATE TABLE "B" (id INT);`);
    await migrateDatabase(url, { migrationsDir: dir });
    expect(await sql(url, `SELECT 1 FROM "_prisma_migrations"`)).toHaveLength(2);
  });

  it("refuses to go on past a migration Prisma left failed", async () => {
    const url = await bareDatabase();
    await migrateDatabase(url);
    await sql(url, `INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ('x', 'y', '29990101000000_half')`);
    await expect(migrateDatabase(url)).rejects.toThrow(/29990101000000_half failed earlier/);
  });
});

describe("migration working_config_as_data", () => {
  it("moves a working config from the normalised tables into one row per resource, keeping order and every field", async () => {
    const url = await bareDatabase();
    const all = await readMigrations();
    const last = all.findIndex((m) => m.name.endsWith("_working_config_as_data"));
    for (const m of all.slice(0, last)) await sql(url, m.sql);
    await sql(
      url,
      `INSERT INTO "WorkingConfigMeta" (id, revision, "updatedAt") VALUES (1, 7, now());
       INSERT INTO "Listener" (position, name, address, port, protocol, "routeConfig", "httpFilters", limits, tracing)
         VALUES (0, 'public', '0.0.0.0', 8080, 'http', 'main', '[{"type":"cors","allowOrigins":["*"]}]', '{}', '{"sampleRate":0.5}');
       INSERT INTO "RouteConfig" (id, position, name) VALUES (1, 0, 'main');
       INSERT INTO "VirtualHost" (id, "routeConfigId", position, name, domains, "requestHeaders") VALUES (1, 1, 0, 'all', '{"*"}', '{"add":[{"name":"x-a","value":"1"}]}');
       INSERT INTO "Route" ("virtualHostId", "order", name, match, route) VALUES
         (1, 1, 'b-second', '{"prefix":"/"}', '{"cluster":"users"}'),
         (1, 0, 'z-first', '{"path":"/healthz"}', NULL);
       UPDATE "Route" SET "directResponse" = '{"status":200,"body":"ok"}' WHERE name = 'z-first';
       INSERT INTO "Cluster" (id, position, name, discovery, "dnsResolvers", "dnsRefreshMs", "lbPolicy", protocol, "connectTimeoutMs", "idleTimeoutMs", "healthCheck")
         VALUES (1, 0, 'users', 'static', '{}', 5000, 'leastRequest', 'http1', 1000, 60000, '{"type":"http","path":"/health"}');
       INSERT INTO "Endpoint" ("clusterId", position, address, port, weight) VALUES (1, 1, '127.0.0.1', 9002, 3), (1, 0, '127.0.0.1', 9001, 1);
       INSERT INTO "RateLimitPolicy" (position, name, scope, requests, per, key, "failOpen") VALUES (0, 'per-ip', 'local', 10, 'second', '"remoteAddress"', true);`,
    );
    for (const m of all.slice(last)) await sql(url, m.sql);
    const db = createDb(url);
    try {
      const { config, revision } = await getWorkingConfig(db);
      expect(revision).toBe(7);
      const expected = parseConfig({
        listeners: [{ name: "public", address: "0.0.0.0", port: 8080, protocol: "http", routeConfig: "main", httpFilters: [{ type: "cors", allowOrigins: ["*"] }], limits: {}, tracing: { sampleRate: 0.5 } }],
        routeConfigs: [
          {
            name: "main",
            virtualHosts: [
              {
                name: "all",
                domains: ["*"],
                requestHeaders: { add: [{ name: "x-a", value: "1" }] },
                routes: [
                  { name: "z-first", match: { path: "/healthz" }, directResponse: { status: 200, body: "ok" } },
                  { name: "b-second", match: { prefix: "/" }, route: { cluster: "users" } },
                ],
              },
            ],
          },
        ],
        clusters: [
          {
            name: "users",
            lbPolicy: "leastRequest",
            connectTimeoutMs: 1000,
            healthCheck: { type: "http", path: "/health" },
            endpoints: [
              { address: "127.0.0.1", port: 9001, weight: 1 },
              { address: "127.0.0.1", port: 9002, weight: 3 },
            ],
          },
        ],
        rateLimitPolicies: [{ name: "per-ip", requests: 10 }],
      });
      expect(config).toEqual(expected);
      expect(hashConfig(config)).toBe(hashConfig(expected));
    } finally {
      await db.close();
    }
  });
});
