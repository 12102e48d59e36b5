import type { TCluster, TEndpoint } from "@switchyard/config-model";
import { request } from "undici";
import { z } from "zod";
import { parseJsonOrNull } from "./json.ts";
import type { TDiscoverySink, TDiscoverySource } from "./types.ts";

/**
 * discovery: consul. Follows `GET /v1/health/service/<service>?passing` with Consul's
 * blocking queries: each request carries the last `X-Consul-Index` as `index` and a
 * `wait`; Consul answers when the result changes or the wait ends. Only instances whose
 * checks all pass are returned (`passing`); `tag` and `dc` narrow the query.
 *
 * Index rules from Consul's docs: an index that goes backwards (or is 0) resets to 0
 * (a fresh query); failures keep the last endpoints, are counted, and retry with
 * back-off (1 s doubling, cap 10 s).
 */

/** Blocking query wait; Consul's default is 5 min, a shorter one notices a dead agent sooner. */
export const CONSUL_WAIT_S = 30;
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 10_000;

export type TConsulOptions = {
  /** Agent base URL, default http://127.0.0.1:8500 (CLI --consul / SWITCHYARD_CONSUL_URL). */
  url: string;
  /** ACL token sent as X-Consul-Token (CLI --consul-token / SWITCHYARD_CONSUL_TOKEN). */
  token: string | null;
};

/** The fields we read from a /v1/health/service entry (Consul returns many more). */
const ZHealthEntry = z.object({
  Node: z.object({ Address: z.string() }).loose(),
  Service: z
    .object({
      Address: z.string().default(""),
      Port: z.number().int().min(1).max(65535),
      Weights: z.object({ Passing: z.number().int() }).loose().optional(),
    })
    .loose(),
});
const ZHealthResponse = z.array(ZHealthEntry.loose());

export function createConsulSource(cluster: TCluster, options: TConsulOptions, sink: TDiscoverySink): TDiscoverySource {
  const consul = cluster.consul as NonNullable<TCluster["consul"]>;
  const base = (consul.address ?? options.url).replace(/\/+$/, "");
  // The ACL token is the operator's, for the operator's Consul (--consul): a config that
  // points a cluster elsewhere gets no token (issue #20: an editor could collect it).
  const token = options.token !== null && sameOrigin(base, options.url) ? options.token : null;
  let index = 0;
  let stopped = false;
  let retryMs = RETRY_BASE_MS;
  const abort = new AbortController();
  let firstDone: (() => void) | null = null;
  const first = new Promise<void>((resolve) => (firstDone = resolve));

  const describe = () => `consul ${consul.service}${consul.tag ? ` tag ${consul.tag}` : ""}${consul.datacenter ? ` dc ${consul.datacenter}` : ""} (${base})`;

  async function fetchOnce(): Promise<void> {
    const qs = new URLSearchParams({ passing: "1", index: String(index), wait: `${CONSUL_WAIT_S}s` });
    if (consul.tag) qs.set("tag", consul.tag);
    if (consul.datacenter) qs.set("dc", consul.datacenter);
    const res = await request(`${base}/v1/health/service/${encodeURIComponent(consul.service)}?${qs}`, {
      method: "GET",
      headers: token ? { "x-consul-token": token } : {},
      signal: abort.signal,
      // Consul may hold the request up to wait + wait/16.
      headersTimeout: (CONSUL_WAIT_S + 15) * 1000,
      bodyTimeout: 30_000,
    });
    // Errors name the status only: the answer of whatever the address points at must not
    // travel to the console, where viewers read cluster status (issue #20).
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`HTTP ${res.statusCode} from ${base}`);
    }
    const parsed = ZHealthResponse.safeParse(parseJsonOrNull(await res.body.text()));
    if (!parsed.success) throw new Error(`unexpected response: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    const next = Number(res.headers["x-consul-index"]);
    // Consul: reset when the index goes backwards or is not a positive number.
    index = Number.isSafeInteger(next) && next > 0 && next >= index ? next : 0;
    const endpoints: TEndpoint[] = parsed.data.map((e) => ({
      address: e.Service.Address || e.Node.Address,
      port: e.Service.Port,
      weight: Math.min(1000, Math.max(1, e.Service.Weights?.Passing ?? 1)),
    }));
    sink.update(endpoints);
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        await fetchOnce();
        retryMs = RETRY_BASE_MS;
      } catch (err) {
        if (stopped) break;
        sink.fail((err as Error).message);
        firstDone?.();
        await sleep(retryMs);
        retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
        continue;
      }
      firstDone?.();
    }
    firstDone?.();
  }

  return {
    describe,
    start() {
      void loop();
      return first;
    },
    stop() {
      stopped = true;
      abort.abort();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
