import type { Db } from "./context.ts";

/** Longest a health probe waits for the database. */
const HEALTH_TIMEOUT_MS = 2_000;

/** Whether the database answers within 2 s (GET /api/v1/healthz: 200 or 503). */
export async function databaseAnswers(db: Db): Promise<{ ok: true } | { ok: false; error: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.prisma.$queryRaw`SELECT 1`,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`database did not answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
