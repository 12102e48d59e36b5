/**
 * Migrates the database at DATABASE_URL and seeds the demo config as version 1 when it
 * has no version yet. Used by docker-compose's one-shot `seed` service
 * (`node apps/demo/dist/seed.js`); `npm start` does the same in-process.
 *
 * Env: DATABASE_URL (required), SWITCHYARD_DEMO_USERS_HOST / _ORDERS_HOST (default
 * 127.0.0.1), SWITCHYARD_DEMO_USERS_PORT (9101), SWITCHYARD_DEMO_ORDERS_PORT (9102),
 * SWITCHYARD_DEMO_LISTENER_PORT (8080).
 */
import { createDb, migrateDatabase, seedDemoConfig } from "@switchyard/db";
import { demoConfig } from "./config.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL: required (postgres://user:pass@host:5432/db)");
  process.exit(2);
}
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

await migrateDatabase(url, { log: (l: string) => console.log(l) });
const db = createDb(url);
const config = demoConfig({
  upstreamHost: process.env.SWITCHYARD_DEMO_UPSTREAM_HOST ?? "127.0.0.1",
  usersPort: num("SWITCHYARD_DEMO_USERS_PORT", 9101),
  ordersPort: num("SWITCHYARD_DEMO_ORDERS_PORT", 9102),
  listenerPort: num("SWITCHYARD_DEMO_LISTENER_PORT", 8080),
});
// In compose the two demo services are separate hosts; point each cluster at its own.
const usersHost = process.env.SWITCHYARD_DEMO_USERS_HOST;
const ordersHost = process.env.SWITCHYARD_DEMO_ORDERS_HOST;
for (const cluster of config.clusters ?? []) {
  const host = cluster.name === "users" ? usersHost : cluster.name === "orders" ? ordersHost : undefined;
  if (host) for (const e of cluster.endpoints ?? []) e.address = host;
}
const seeded = await seedDemoConfig(db, config, { actor: "seed" });
console.log(seeded ? "seeded the demo config as version 1" : "database already has config versions; not seeding");
await db.close();
