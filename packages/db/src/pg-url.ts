import type pg from "pg";

/**
 * Splits a postgres:// URL into pg's explicit fields. pg lets `connectionString` win over
 * every other field, so code that must point a config at another database (admin
 * connections, Prisma's shadow database) needs the parts, not the string.
 */
export function pgConfigFromUrl(databaseUrl: string): pg.ClientConfig {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error(`database URL: not a valid URL (expected postgres://user@host:port/database)`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new Error(`database URL: protocol must be postgres: or postgresql:, got ${url.protocol}`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  const config: pg.ClientConfig = {
    host: url.searchParams.get("host") ?? (url.hostname || "127.0.0.1"),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || "postgres",
    database: database || "postgres",
  };
  if (url.password) config.password = decodeURIComponent(url.password);
  const sslmode = url.searchParams.get("sslmode");
  if (sslmode && sslmode !== "disable") config.ssl = { rejectUnauthorized: sslmode === "verify-full" };
  return config;
}

/** The same server, another database. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Quotes an identifier for SQL (database names cannot be bind parameters). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
