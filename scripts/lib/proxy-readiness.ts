/**
 * Follows a starting proxy's event log (its JSON lines on stderr) so that one that does
 * not become ready says why: the version it refused (NACK) with its first issues, or why
 * it cannot reach the console. A refusal ends the wait at once: the console sends a
 * version once, so nothing else will arrive.
 */
export function proxyReadiness(opts: { timeoutMs: number; pollMs?: number }) {
  let refused: string | null = null;
  let lastProblem: string | null = null;
  const onLine = (line: string): void => {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (e.event === "config_rejected") {
      const issues = Array.isArray(e.issues) ? (e.issues as { path?: string; message?: string }[]).slice(0, 5).map((i) => `${i.path || "(config)"}: ${i.message}`) : [];
      refused = `it refused version ${String(e.version)} (NACK): ${String(e.error)}${issues.length ? `\n    ${issues.join("\n    ")}` : ""}`;
    } else if (e.event === "control_plane_unauthorized") lastProblem = `the console refused the node (HTTP ${String(e.status)}): ${String(e.hint)}`;
    else if (e.event === "control_plane_upgrade_refused") lastProblem = `the console refused the control-plane connection (HTTP ${String(e.status)})`;
    else if (e.event === "control_plane_connect_failed" || e.event === "control_plane_socket_error") lastProblem = `cannot reach the console: ${String(e.error)}`;
    else if (e.event === "control_plane_connected") lastProblem = null;
  };
  /** Resolves null once `readyUrl` answers 2xx, else the reason it did not. */
  const wait = async (readyUrl: string): Promise<string | null> => {
    const deadline = Date.now() + opts.timeoutMs;
    let answer = "no answer";
    while (Date.now() < deadline) {
      if (refused) return `the proxy did not become ready: ${refused}`;
      try {
        const res = await fetch(readyUrl, { signal: AbortSignal.timeout(2_000) });
        answer = `${res.status} ${(await res.text()).slice(0, 200)}`;
        if (res.ok) return null;
      } catch (err) {
        answer = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
    }
    const why = refused ?? lastProblem ?? `it never received a config (${readyUrl}: ${answer})`;
    return `the proxy did not become ready within ${Math.round(opts.timeoutMs / 1000)} s: ${why}`;
  };
  return { onLine, wait };
}
