import { z } from "zod";
import type { TFilterLocalReply, TFilterRequest, THttpFilter } from "../../../apps/proxy/src/filters/api.ts";

// The proxy's "hold this chunk" answer from onRequestBody (filters/api.ts BUFFER_BODY): a
// registered symbol, so a plugin needs nothing from the proxy to return it.
const BUFFER_BODY = Symbol.for("switchyard.bufferBody");

/**
 * The example filter plugin (docs/filters.md "Writing a plugin"), one phase of each kind:
 *   onRequestHeaders   async tenant lookup; 401 without the header, 403 for an unknown
 *                      tenant (local replies); the tenant goes to req.metadata (later
 *                      filters and the access log read it) and upstream as x-tenant-id
 *   onRequestBody      masks configured words in the request body; it holds the chunks
 *                      (BUFFER_BODY, up to the proxy's buffer limit: 413 past it) and masks
 *                      the whole at the end, so a word split across chunks is masked too
 *   onResponseHeaders  x-tenant on the answer
 *   onResponseBody     appends `footer` to text responses
 *   onDone             counts answers per tenant plan; logs slow requests
 */
const configSchema = z.strictObject({
  /** Request header naming the tenant. */
  header: z.string().min(1).default("x-tenant"),
  /** Known tenants and their plan. */
  tenants: z.record(z.string().min(1), z.enum(["free", "pro"])).refine((t) => Object.keys(t).length > 0, "list at least one tenant"),
  /** Simulated lookup latency (a directory call), ms; default 0. */
  lookupDelayMs: z.number().int().min(0).max(10_000).default(0),
  /** Words replaced by asterisks in request bodies; default none. */
  maskWords: z.array(z.string().min(1)).default([]),
  /** Appended to text/* response bodies; default none. */
  footer: z.string().optional(),
  /** onDone logs requests slower than this, ms; default 1000. */
  slowMs: z.number().int().min(0).default(1000),
});

type TConfig = z.infer<typeof configSchema>;
type TContext = { log(fields: Record<string, unknown>): void; counter(name: string): { inc(by?: number): void } };
type TTenant = { id: string; plan: "free" | "pro" };
/** The filter API's phases (filters/api.ts), with onRequestBody's BUFFER_BODY as the registered symbol it is. */
type TPhases = Omit<THttpFilter, "name" | "onRequestBody"> & {
  onRequestBody?(chunk: Buffer, end: boolean, req: TFilterRequest): Buffer | symbol | undefined;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function create(config: TConfig, ctx: TContext): TPhases {
  const denied = ctx.counter("denied");
  const byPlan = { free: ctx.counter("done_free"), pro: ctx.counter("done_pro") };
  const masks = config.maskWords.map((w) => new RegExp(w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g"));
  const tenantOf = (req: TFilterRequest) => req.metadata.get("tenant") as TTenant | undefined;

  return {
    async onRequestHeaders(req): Promise<TFilterLocalReply | undefined> {
      const id = req.headers.get(config.header);
      if (!id) {
        denied.inc();
        return { status: 401, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: `${config.header} required` }) };
      }
      if (config.lookupDelayMs) await sleep(config.lookupDelayMs);
      const plan = config.tenants[id];
      if (!plan) {
        denied.inc();
        return { status: 403, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: `unknown tenant ${id}` }) };
      }
      req.metadata.set("tenant", { id, plan } satisfies TTenant);
      req.headers.set("x-tenant-id", id);
      return undefined;
    },

    ...(masks.length
      ? {
          onRequestBody(chunk: Buffer, end: boolean): Buffer | symbol {
            if (!end) return BUFFER_BODY;
            // At the end the proxy hands back everything held, this chunk included.
            let text = chunk.toString("utf8");
            for (const m of masks) text = text.replace(m, (w) => "*".repeat(w.length));
            return Buffer.from(text);
          },
        }
      : {}),

    onResponseHeaders(res, req) {
      const t = tenantOf(req);
      if (t) res.headers.set("x-tenant", `${t.id}; plan=${t.plan}`);
    },

    ...(config.footer !== undefined
      ? {
          onResponseBody(chunk: Buffer, end: boolean, res: { headers: { get(n: string): string | undefined } }): Buffer | undefined {
            if (!end || !(res.headers.get("content-type") ?? "").startsWith("text/")) return undefined;
            return Buffer.concat([chunk, Buffer.from(config.footer as string)]);
          },
        }
      : {}),

    onDone(info, req) {
      const t = tenantOf(req);
      if (!t) return;
      byPlan[t.plan].inc();
      if (info.durationMs > config.slowMs) ctx.log({ message: "slow request", tenant: t.id, durationMs: info.durationMs, status: info.status });
    },
  };
}

export default { name: "tenant", version: "1.0.0", configSchema, create };
