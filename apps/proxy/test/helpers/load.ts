import { createServer, type Server } from "node:http";
import { Agent, request } from "undici";

/**
 * Test traffic for discovery tests: real HTTP servers that answer their own name, on
 * any loopback address (127.0.0.2, 127.0.0.3, ::1 ... all reach this host, so one port
 * can be served on several "hosts" as DNS records would list them), and a bounded
 * closed-loop load generator that counts every answer and every failure.
 */

export type TNamedServer = { readonly name: string; readonly host: string; readonly port: number; hits: number; close(): Promise<void> };

/** `closeEach`: answer with `Connection: close`, so every request needs a new upstream connection. */
export async function startNamedServer(name: string, host = "127.0.0.1", port = 0, delayMs = 0, closeEach = false): Promise<TNamedServer> {
  const srv: { hits: number } = { hits: 0 };
  const server: Server = createServer((req, res) => {
    srv.hits++;
    req.resume();
    const answer = () => {
      res.writeHead(200, { "content-type": "text/plain", "x-upstream": name, ...(closeEach ? { connection: "close" } : {}) });
      res.end(name);
    };
    if (delayMs) setTimeout(answer, delayMs);
    else answer();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return Object.assign(srv, {
    name,
    host,
    port: addr && typeof addr === "object" ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

/** Servers with the same port on several loopback hosts (retries until one port is free on all). */
export async function startOnHosts(hosts: readonly string[], delayMs = 0, closeEach = false): Promise<TNamedServer[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await startNamedServer(hosts[0] as string, hosts[0], 0, delayMs, closeEach);
    const rest: TNamedServer[] = [];
    try {
      for (const h of hosts.slice(1)) rest.push(await startNamedServer(h, h, first.port, delayMs, closeEach));
      return [first, ...rest];
    } catch {
      await Promise.all([first, ...rest].map((s) => s.close()));
    }
  }
  throw new Error("no port free on every host");
}

export type TLoad = {
  /** Answers by the x-upstream header (the server's name). */
  readonly byUpstream: Map<string, number>;
  /** Non-200 answers and transport errors, with what happened. */
  readonly failures: string[];
  ok: number;
  /** Stops issuing and resolves once every in-flight request finished. */
  stop(): Promise<void>;
};

/** `concurrency` closed loops of GET url until stop(); each loop waits `pauseMs` between requests. */
export function startLoad(url: string, concurrency = 8, pauseMs = 5): TLoad {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 2_000 });
  const load: TLoad = { byUpstream: new Map(), failures: [], ok: 0, stop: async () => undefined };
  let running = true;
  const loop = async () => {
    while (running) {
      try {
        const res = await request(url, { dispatcher: agent });
        const body = await res.body.text();
        if (res.statusCode === 200) {
          load.ok++;
          const up = String(res.headers["x-upstream"] ?? body);
          load.byUpstream.set(up, (load.byUpstream.get(up) ?? 0) + 1);
        } else load.failures.push(`${res.statusCode} ${String(res.headers["x-switchyard-response-flags"] ?? "")} ${body.slice(0, 80)}`);
      } catch (err) {
        load.failures.push(`error ${(err as Error).message}`);
      }
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const loops = Array.from({ length: concurrency }, () => loop());
  load.stop = async () => {
    running = false;
    await Promise.all(loops);
    await agent.close();
  };
  return load;
}

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws with `what`). */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
