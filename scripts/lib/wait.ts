/** Polls a URL until it answers 2xx, or throws after timeoutMs. */
export async function waitForHttp(url: string, opts: { timeoutMs: number; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
  throw new Error(`${url} did not become ready within ${opts.timeoutMs} ms (last: ${last})`);
}
