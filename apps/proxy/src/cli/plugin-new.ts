import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/**
 * `switchyard-proxy plugin new NAME [--dir DIR]`: a working filter plugin package to start
 * from (DESIGN §4 "Filter plugins"). TypeScript with erasable syntax only, so Node runs it
 * as it is (a path outside node_modules) and tsx / a bundler / tsc handle it too; its
 * config schema is plain JSON Schema (no dependency), which the console renders as a form.
 * Refuses a non-empty directory: it never overwrites a user's files.
 */
export async function scaffoldPlugin(name: string, dir: string): Promise<void> {
  const target = resolve(dir);
  const existing = await readdir(target).catch(() => []);
  if (existing.length) {
    process.stderr.write(`switchyard-proxy: plugin new: ${target} is not empty; pick another --dir\n`);
    process.exitCode = 1;
    return;
  }
  await mkdir(target, { recursive: true });
  for (const [file, text] of Object.entries(pluginFiles(name))) await writeFile(join(target, file), text);
  process.stdout.write(
    `wrote plugin "${name}" to ${target}\n` +
      `  test it:   cd ${dir} && npm test\n` +
      `  use it:    httpFilters: [{ type: plugin, name: ${name}, module: ${join(target, "index.ts")}, config: { value: "hello" } }]\n`,
  );
}

/** The skeleton's files by name (also read by the scaffold's test). */
export function pluginFiles(name: string): Record<string, string> {
  const header = `x-${name.replace(/[^a-z0-9-]/g, "-")}`;
  return {
    "package.json": `${JSON.stringify(
      {
        name,
        version: "0.1.0",
        description: `Switchyard filter plugin ${name}`,
        type: "module",
        exports: "./index.ts",
        scripts: { test: "node --test index.test.ts" },
        engines: { node: ">=22.18" },
      },
      null,
      2,
    )}\n`,
    "types.ts": TYPES,
    "index.ts": indexSource(name, header),
    "index.test.ts": testSource(name, header),
    "README.md": readme(name, header),
  };
}

const TYPES = `// The Switchyard filter plugin API (docs/filters.md "Writing a plugin"), as types only.

export type HeaderMap = {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  add(name: string, value: string): void;
  remove(name: string): void;
  has(name: string): boolean;
  entries(): IterableIterator<[string, string]>;
};

export type PluginRequest = {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly authority: string;
  readonly scheme: "http" | "https";
  readonly remoteAddress: string;
  readonly requestId: string;
  readonly route: { readonly name: string } | null;
  readonly headers: HeaderMap;
  /** Shared by the request's filters and written to the access log. */
  readonly metadata: Map<string, unknown>;
};

export type PluginResponse = { status: number; readonly headers: HeaderMap };

/** Answer here: the router does not run (from a request phase) or the upstream's answer is dropped (onResponseHeaders). */
export type LocalReply = { status: number; headers?: Record<string, string>; body?: string | Uint8Array };

type Maybe<T> = T | Promise<T>;

export type PluginInstance = {
  onRequestHeaders?(req: PluginRequest): Maybe<LocalReply | void>;
  onRequestBody?(chunk: Buffer, end: boolean, req: PluginRequest): Maybe<Buffer | LocalReply | void>;
  onResponseHeaders?(res: PluginResponse, req: PluginRequest): Maybe<LocalReply | void>;
  onResponseBody?(chunk: Buffer, end: boolean, res: PluginResponse, req: PluginRequest): Maybe<Buffer | void>;
  onResponseTrailers?(trailers: HeaderMap, res: PluginResponse, req: PluginRequest): Maybe<void>;
  onDone?(info: { status: number; durationMs: number; responseFlags: string }, req: PluginRequest): Maybe<void>;
};

export type PluginContext = {
  readonly filter: string;
  log(fields: Record<string, unknown>): void;
  counter(name: string): { inc(by?: number): void };
};

export type Plugin<C> = {
  name: string;
  version: string;
  configSchema: unknown;
  create(config: C, ctx: PluginContext): Maybe<PluginInstance>;
};
`;

function indexSource(name: string, header: string): string {
  return `import type { Plugin } from "./types.ts";

// A filter plugin for Switchyard. Phases you do not need can go; any may be async.

type Config = { header: string; value: string };

const plugin: Plugin<Config> = {
  name: ${JSON.stringify(name)},
  version: "0.1.0",
  // JSON Schema (or a zod schema): checked when a config version is applied; a config it
  // refuses is NACKed with this message and path. The console renders a form from it.
  configSchema: {
    type: "object",
    properties: {
      header: { type: "string", default: ${JSON.stringify(header)}, description: "response header to set" },
      value: { type: "string", minLength: 1, description: "its value" },
    },
    required: ["value"],
    additionalProperties: false,
  },
  // Once per applied config version; per-request state goes in req.metadata.
  create(config, ctx) {
    const stamped = ctx.counter("stamped");
    return {
      onRequestHeaders(req) {
        if (req.headers.get("x-${name}-deny") === "1") return { status: 403, body: "denied by ${name}\\n" };
        req.metadata.set(${JSON.stringify(name)}, { value: config.value });
      },
      onResponseHeaders(res) {
        res.headers.set(config.header, config.value);
        stamped.inc();
      },
    };
  },
};

export default plugin;
`;
}

function testSource(name: string, header: string): string {
  return `import assert from "node:assert/strict";
import { test } from "node:test";
import plugin from "./index.ts";

// A header map like the proxy's (lower-case names).
function headers(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return {
    get: (n: string) => m.get(n.toLowerCase()),
    set: (n: string, v: string) => void m.set(n.toLowerCase(), v),
    add: (n: string, v: string) => void m.set(n.toLowerCase(), v),
    remove: (n: string) => void m.delete(n.toLowerCase()),
    has: (n: string) => m.has(n.toLowerCase()),
    entries: () => m.entries(),
  };
}

const ctx = { filter: ${JSON.stringify(name)}, log: () => {}, counter: () => ({ inc: () => {} }) };

function request(h: Record<string, string> = {}) {
  return { method: "GET", path: "/", query: "", authority: "example", scheme: "http" as const, remoteAddress: "127.0.0.1", requestId: "r1", route: null, headers: headers(h), metadata: new Map() };
}

test("stamps the response and shares metadata", async () => {
  const f = await plugin.create({ header: ${JSON.stringify(header)}, value: "hello" }, ctx);
  const req = request();
  assert.equal(await f.onRequestHeaders?.(req), undefined);
  assert.deepEqual(req.metadata.get(${JSON.stringify(name)}), { value: "hello" });
  const res = { status: 200, headers: headers() };
  await f.onResponseHeaders?.(res, req);
  assert.equal(res.headers.get(${JSON.stringify(header)}), "hello");
});

test("answers 403 locally when asked to deny", async () => {
  const f = await plugin.create({ header: ${JSON.stringify(header)}, value: "hello" }, ctx);
  const reply = await f.onRequestHeaders?.(request({ "x-${name}-deny": "1" }));
  assert.equal(reply?.status, 403);
});
`;
}

function readme(name: string, header: string): string {
  return `# ${name}: a Switchyard filter plugin

Written by \`switchyard-proxy plugin new ${name}\`. It sets \`${header}\` (configurable) on every
response, shares \`{ value }\` with later filters and the access log through
\`req.metadata\`, and answers 403 to requests carrying \`x-${name}-deny: 1\`.

## Use it

\`\`\`yaml
listeners:
  - name: public
    port: 8080
    routeConfig: main
    httpFilters:
      - type: plugin
        name: ${name}
        module: /absolute/path/to/${name}/index.ts   # or the package name once installed
        config: { value: "hello" }
\`\`\`

Node 24 runs \`index.ts\` as it is from a path outside \`node_modules\`; to publish the
package, compile it to JavaScript first (\`tsc\`) and point \`exports\` at the output. A
managed proxy loads only the modules it was started with: \`--plugin /absolute/path/to/${name}/index.ts\`.

## Test it

\`npm test\` runs \`index.test.ts\` with Node's test runner.

The API (phases, local replies, metadata, ctx.log / ctx.counter, timeouts, failures) is
described in Switchyard's docs/filters.md, "Writing a plugin"; \`types.ts\` has it as types.
`;
}
