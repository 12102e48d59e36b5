/**
 * One measurement for `npm run bench:pipeline` (bench/pipeline.ts): loads the connection
 * manager of the checkout at argv[2] (before issue #14: filters/router/exchange.ts; after:
 * pipeline/connection-manager.ts), compiles a one-listener config whose route answers
 * directly, and runs argv[4] requests through it with in-memory request/response objects
 * (no sockets: what is left is the pipeline's own work — route lookup, filter chain,
 * local answer, finish with metrics). Prints the CPU nanoseconds per request.
 * argv[3]: "empty" (no filter on the route), "one" (the route's responseHeaders: one
 * headerMutation filter after #14; applied inline before it), "plugin" / "plugin-async" (one
 * TypeScript plugin, bench/plugins/bench-plugin.mjs, loaded through the apply pipeline's
 * filter-code step; its request phase synchronous or async), "wasm" (one proxy-wasm filter
 * adding a request header: a module built from WAT by apps/proxy/test/helpers/wasm-modules.ts,
 * run by the ABI host in its sandbox thread; process CPU time counts both threads).
 */
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [root = ".", chain = "empty", countArg = "200000"] = process.argv.slice(2);
const count = Number(countArg);
const src = (p: string) => pathToFileURL(join(root, "apps/proxy/src", p)).href;
const after = existsSync(join(root, "apps/proxy/src/pipeline/connection-manager.ts"));
const { handleRequest } = (await import(src(after ? "pipeline/connection-manager.ts" : "filters/router/exchange.ts"))) as {
  handleRequest: (l: unknown, req: unknown, res: unknown, deps: unknown) => void;
};
const { compileListeners } = (await import(src("runtime/compile.ts"))) as {
  compileListeners: (c: unknown, clusters: Map<string, unknown>, limiters?: Map<string, unknown>, env?: unknown) => unknown[];
};
const { createMetrics } = (await import(src("observability/metrics.ts"))) as { createMetrics: (c: () => unknown[]) => unknown };
const { validateConfig } = (await import(pathToFileURL(join(root, "packages/config-model/src/index.ts")).href)) as {
  validateConfig: (c: unknown) => { ok: boolean; config?: unknown };
};

const route: Record<string, unknown> = { name: "answer", match: { prefix: "/" }, directResponse: { status: 200, body: "ok" } };
if (chain === "one") route.responseHeaders = { add: [{ name: "x-env", value: "bench" }] };
const plugin = chain.startsWith("plugin");
const wasm = chain === "wasm" ? await import("../apps/proxy/test/helpers/wasm-modules.ts") : null;
const httpFilters = plugin
  ? [{ type: "plugin", name: "bench", module: join(import.meta.dirname, "plugins/bench-plugin.mjs"), config: { async: chain === "plugin-async" } }]
  : wasm
    ? [{ type: "wasm", name: "min", module: { secret: "min" } }]
    : [];
const checked = validateConfig({
  listeners: [{ name: "bench", address: "127.0.0.1", port: 1, routeConfig: "main", httpFilters }],
  routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [route] }] }],
  ...(wasm ? { secrets: [wasm.wasmSecret("min", await wasm.compileWat(wasm.minimalFilterWat()))] } : {}),
});
if (!checked.ok) throw new Error("bench config refused");
const noop = () => undefined;
let env: unknown = undefined;
if (plugin || wasm) {
  const { loadFilterCode } = (await import(src("filters/code/index.ts"))) as { loadFilterCode: (c: unknown, p: null, d: unknown) => Promise<{ ok: boolean; code?: unknown }> };
  const loaded = await loadFilterCode(checked.config, null, { log: noop, counter: noop, filterFailed: noop, allowedModules: null });
  if (!loaded.ok) throw new Error("bench filter code refused");
  env = { rateLimited: noop, code: loaded.code };
}
const [listener] = compileListeners(checked.config, new Map(), new Map(), env);
const deps = { accessLog: { write: noop, flushSync: noop, close: async () => undefined }, metrics: createMetrics(() => []), log: noop, stats: null, spans: null };
const rawHeaders = ["Host", "bench.example", "User-Agent", "wrk", "Accept", "*/*", "Connection", "keep-alive"];
const headers = { host: "bench.example", "user-agent": "wrk", accept: "*/*", connection: "keep-alive" };
const socket = { remoteAddress: "127.0.0.1" };

/**
 * The parts of a response the pipeline touches: the TRequestDownstream of the HTTP/1.1
 * engine (onClose, writable, status) and, for a baseline checkout older than it, node:http's
 * ServerResponse (the 'close' event, statusCode, writableFinished).
 */
class FakeResponse extends EventEmitter {
  static statuses = new Map<number, number>();
  readonly h2 = false;
  headersSent = false;
  statusCode = 200;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  writeHead(status: number): this {
    FakeResponse.statuses.set(status, (FakeResponse.statuses.get(status) ?? 0) + 1);
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }
  write(): boolean {
    return true;
  }
  end(): void {
    finished++;
    this.writableEnded = true;
    this.writableFinished = true;
    this.emit("close");
  }
  destroy(): void {
    this.destroyed = true;
    this.emit("close");
  }
  get writable(): boolean {
    return !this.headersSent && !this.destroyed && !this.writableEnded;
  }
  get status(): number {
    return this.headersSent ? this.statusCode : 0;
  }
  onClose(cb: (abandoned: boolean) => void): void {
    this.once("close", () => cb(!this.writableFinished));
  }
}

let finished = 0;

function once(): void {
  const req = { method: "GET", url: "/small", headers, rawHeaders, httpVersion: "1.1", httpVersionMajor: 1, socket };
  handleRequest(listener, req, new FakeResponse(), deps);
}

/** `n` requests, in batches so async phases settle (and their timers clear) as they would under load. */
async function run(n: number): Promise<void> {
  const target = finished + n;
  for (let i = 0; i < n; i++) {
    once();
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  while (finished < target) await new Promise((r) => setImmediate(r));
}

await run(50_000);
const start = process.cpuUsage();
await run(count);
const used = process.cpuUsage(start);
// A sample of failures (a 500 FE from a plugin bug) would measure the wrong path.
if (FakeResponse.statuses.size !== 1 || !FakeResponse.statuses.has(200)) throw new Error(`bench answers were not all 200: ${JSON.stringify([...FakeResponse.statuses])}`);
process.stdout.write(`${(((used.user + used.system) * 1000) / count).toFixed(1)}\n`);
