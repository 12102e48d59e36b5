/**
 * The test helpers' only contact with process.env.
 * - DATABASE_URL: a server to create test databases on (CI, developer machines).
 * - SWITCHYARD_TEST_PG_URL: set by packages/db/test/global-setup.ts to the admin URL of
 *   the embedded PostgreSQL it started when DATABASE_URL is unset; vitest workers start
 *   after global setup and inherit it.
 */
export const TEST_PG_URL_VAR = "SWITCHYARD_TEST_PG_URL";

export function configuredDatabaseUrl(): string | undefined {
  return process.env.DATABASE_URL || undefined;
}

export function embeddedTestServerUrl(): string | undefined {
  return process.env[TEST_PG_URL_VAR] || undefined;
}

export function setEmbeddedTestServerUrl(url: string | undefined): void {
  if (url === undefined) delete process.env[TEST_PG_URL_VAR];
  else process.env[TEST_PG_URL_VAR] = url;
}
