/**
 * `npm run -w @switchyard/db migrate:deploy`: applies pending migrations to DATABASE_URL
 * with the built-in migrator (the same one the console runs at start).
 */
import { migrateDatabase } from "../src/migrate.ts";
import { databaseUrlFromEnv } from "./env.ts";

const url = databaseUrlFromEnv();
if (!url) {
  console.error("DATABASE_URL: required (postgres://user:password@host:port/database)");
  process.exit(1);
}
migrateDatabase(url, { log: (l) => console.log(l) }).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
