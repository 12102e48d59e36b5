/** The db scripts' only contact with process.env. */
export function databaseUrlFromEnv(): string | undefined {
  return process.env.DATABASE_URL || undefined;
}
