import type { TProxyProcess } from "../../../apps/proxy/test/helpers/start-proxy.ts";

/**
 * The first access-log line matching `predicate`, waiting for it: the proxy writes its log
 * after the response, batched, so a line is never there the moment the client has its answer.
 */
export async function accessLogLine(proxy: TProxyProcess, predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await proxy.accessLog()).find(predicate);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no matching access-log line within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
