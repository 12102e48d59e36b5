import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createTestDatabase } from "@switchyard/db/testing";
import { createRestHandler } from "../../src/server/rest/index.ts";
import { attachXdsServer, type TXdsServer } from "../../src/server/xds/index.ts";

export type TLogEntry = { event: string; fields?: Record<string, unknown> };
export type TTestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

export type TCpServer = {
  url: string;
  wsUrl: string;
  server: Server;
  database: TTestDatabase;
  db: TTestDatabase["db"];
  xds: TXdsServer;
  logs: TLogEntry[];
  apiToken: string | undefined;
  /** fetch against /api/v1 with the API token (unless `token: null`); JSON body parsed when possible. */
  api(path: string, init?: RequestInit & { json?: unknown; token?: string | null }): Promise<TApiResponse>;
  /** Closes the hub and the server; drops the database only if this helper created it. */
  close(): Promise<void>;
};

/** Response bodies are inspected ad hoc in assertions; the tests state their shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TJsonBody = any;
export type TApiResponse = { status: number; headers: Headers; text: string; body: TJsonBody };

/**
 * A real node:http server on 127.0.0.1:0 with the REST handler and the xds hub attached,
 * over a fresh real PostgreSQL database — the same wiring as the console's composition root.
 */
export async function startCpServer(
  opts: {
    apiToken?: string | null;
    nodeToken?: string;
    heartbeatIntervalMs?: number;
    helloTimeoutMs?: number;
    database?: TTestDatabase;
    /** Listen on this port (to restart a console where nodes expect it); default ephemeral. */
    port?: number;
    /** SLO guard tick (default 1 000 ms; 0 = no guard). */
    guardIntervalMs?: number;
  } = {},
): Promise<TCpServer> {
  const ownDatabase = !opts.database;
  const database = opts.database ?? (await createTestDatabase());
  const logs: TLogEntry[] = [];
  const log = (event: string, fields?: Record<string, unknown>) => logs.push({ event, fields });
  const apiToken = opts.apiToken === null ? undefined : (opts.apiToken ?? "test-api-token");
  const rest = createRestHandler({ db: database.db, apiToken, log });
  const server = createServer((req, res) => {
    void rest(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(418, { "content-type": "text/plain" });
        res.end("not the REST API");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const xds = await attachXdsServer(server, {
    db: database.db,
    databaseUrl: database.url,
    nodeToken: opts.nodeToken,
    log,
    heartbeatIntervalMs: opts.heartbeatIntervalMs,
    helloTimeoutMs: opts.helloTimeoutMs,
    guardIntervalMs: opts.guardIntervalMs,
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/api/xds`,
    server,
    database,
    db: database.db,
    xds,
    logs,
    apiToken,
    api: async (path, init = {}) => {
      const { json, token, ...rest } = init;
      const headers = new Headers(rest.headers);
      const t = token === undefined ? apiToken : token;
      if (t !== null && t !== undefined) headers.set("authorization", `Bearer ${t}`);
      if (json !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
      const res = await fetch(`${url}/api/v1${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
      const text = await res.text();
      let body: unknown = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: res.status, headers: res.headers, text, body };
    },
    close: async () => {
      await xds.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDatabase) await database.drop();
    },
  };
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
